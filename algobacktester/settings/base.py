"""Settings shared by every mode, chosen by environment (docs/adr/0002-two-modes.md).

Embedded (the default, nothing set): SQLite under ``var/``, Celery eager, the
in-memory channel layer, local-memory cache, console email/SMS.
Services: ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL`` (Celery broker and
results, channels-redis, cache). Every other knob has a safe default.

Importing settings imports no app code and creates no files: the entry points prepare
``var/`` first (``algobacktester.startup``); queues, routes and the beat schedule live with
the Celery app (``algobacktester/celery.py``).
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url

from ..startup import embedded_secret_key_path, var_dir
from .env import env_bool, env_int, env_list, env_networks, env_str

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = var_dir()  # one definition with the entry points' startup step


def _embedded_secret_key() -> str:
    """The key ``algobacktester.startup`` generated once per checkout, so embedded sessions
    survive restarts; a process started without that step gets a key of its own."""
    path = embedded_secret_key_path()
    return path.read_text().strip() if path.exists() else secrets.token_urlsafe(64)


SECRET_KEY = env_str("SECRET_KEY") or _embedded_secret_key()
# Off unless asked for (DEBUG=true): a debug page shows settings and every frame's locals.
DEBUG = env_bool("DEBUG", False)
# What an error page or error mail may show: no connection URLs, keys or passwords, ever.
DEFAULT_EXCEPTION_REPORTER_FILTER = "algobacktester.reporting.SecretsFilter"
DEFAULT_EXCEPTION_REPORTER = "algobacktester.reporting.SecretsReporter"
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's assets, served locally: /api/docs works offline
    "channels",
    "algobacktester.accounts",
    "strategies",
    "backtests",
    "trades",
    "notifications",
    "marketdata",
    "workers",
    "live",
]

MIDDLEWARE = [
    "algobacktester.logs.RequestContextMiddleware",  # first: every later line has the request id
    "algobacktester.bodylimit.BodyLimitMiddleware",  # 413 before any body is read
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "algobacktester.api.inputs.QueryStringMiddleware",  # a 400 for NUL in a query, with CORS
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "algobacktester.api.timezones.TimezoneMiddleware",
]

# Request bodies (OWASP API4): JSON up to 2 MiB; a multipart upload up to the market-data file
# limit plus its form fields. Larger requests are answered 413 unread (algobacktester/bodylimit.py).
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("REQUEST_BODY_MAX_BYTES", 2 * 1024 * 1024)

ROOT_URLCONF = "algobacktester.urls"
WSGI_APPLICATION = "algobacktester.wsgi.application"
ASGI_APPLICATION = "algobacktester.asgi.application"
# Paths are exactly as the design names them, without a trailing slash.
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL")
if DATABASE_URL:
    # Under ASGI each request's sync work runs in its own thread, and a persistent connection
    # stays with the thread that opened it: 60 requests left 49 idle connections until
    # PostgreSQL refused more ("too many clients"). Closed at the end of each request or task.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("DB_CONN_MAX_AGE", 0))
    }
    # A connection pool (psycopg_pool, Django 5.1+) for the web process: a request borrows an
    # open connection and gives it back at its end, whatever thread served it, so no
    # connection is opened per request (5-8 ms of client and server CPU each, measured) and
    # none is stranded in an idle thread. gunicorn.conf.py sets DB_POOL_MAX_SIZE for web
    # workers; Celery workers (prefork children) keep per-task connections (0: no pool).
    DB_POOL_MAX_SIZE = env_int("DB_POOL_MAX_SIZE", 0)
    if DB_POOL_MAX_SIZE > 0:
        DATABASES["default"]["CONN_MAX_AGE"] = 0  # Django refuses a pool with persistent ones
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": min(2, DB_POOL_MAX_SIZE),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": env_int("DB_POOL_TIMEOUT", 10),  # seconds to wait for a free one
        }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "db.sqlite3",
            # WAL lets the web process read while an eager task writes.
            "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;", "timeout": 20},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"  # stored times are UTC; market logic uses Asia/Kolkata explicitly
USE_I18N = True
USE_TZ = True
MARKET_TIME_ZONE = "Asia/Kolkata"

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"  # made by algobacktester.startup: whitenoise warns if absent
STATICFILES_DIRS = [BASE_DIR / "static"]
# The web app (frontend/, built by `make` into static/app/): Vite hashes names under assets/,
# so they can be cached for good. WHITENOISE_USE_FINDERS=true serves static/ without a
# collectstatic (the browser tests' server does).
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", DEBUG)
WHITENOISE_IMMUTABLE_FILE_TEST = r"^.+/app/assets/.+-[A-Za-z0-9_-]{8}\.(js|css|woff2?|svg|png)$"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# --- Redis: Celery, channels, cache ----------------------------------------
REDIS_URL = env_str("REDIS_URL")
SERVICES_MODE = bool(REDIS_URL)

# channels-redis waits for a socket's next message with BZPOPMIN for 5 s at a time; redis-py's
# default read timeout is also 5 s, so an idle /ws/ died at 5.0 s without a close code. Reads
# must outlast the blocking wait; keep-alive and health checks still find a dead Redis.
CHANNEL_LAYER_REDIS_OPTIONS = {
    "socket_timeout": env_int("CHANNEL_LAYER_SOCKET_TIMEOUT_SECONDS", 30),
    "socket_connect_timeout": 5,
    "socket_keepalive": True,
    "health_check_interval": 30,
}

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "ab",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, **CHANNEL_LAYER_REDIS_OPTIONS}],
                "capacity": 1000,
                "expiry": 60,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# https://docs.celeryq.dev/en/stable/userguide/configuration.html
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not SERVICES_MODE)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_ACKS_LATE = True  # a task whose worker dies is redelivered, not lost
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1  # long tasks: do not hoard messages
# Queues, routes, time limits, the visibility timeout and the beat schedule: algobacktester/celery.py
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# --- Email and SMS -----------------------------------------------------------
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "alerts@algobacktester.local")

# --- REST framework and JWT ---------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["algobacktester.accounts.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # orjson: the same JSON as DRF's renderer, several times faster (docs/adr/0012).
    "DEFAULT_RENDERER_CLASSES": ["algobacktester.api.renderers.ORJSONRenderer"],
    # Bounded JSON: size, depth, numbers and strings are checked for every body (a 400).
    "DEFAULT_PARSER_CLASSES": ["algobacktester.api.inputs.JSONParser"],
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_PAGINATION_CLASS": "algobacktester.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "algobacktester.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "algobacktester.api.schema.AutoSchema",
    "DEFAULT_THROTTLE_RATES": {
        "login_ip": env_str("THROTTLE_LOGIN_IP", "30/min"),
        "register_ip": env_str("THROTTLE_REGISTER_IP", "10/hour"),
    },
}
# Reverse proxies (addresses or networks) whose X-Forwarded-For is believed; empty: none, the
# peer address is the client (algobacktester/accounts/clientip.py, docs/operations.md).
TRUSTED_PROXIES = env_networks("TRUSTED_PROXIES")

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env_int("JWT_ACCESS_MINUTES", 15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env_int("JWT_REFRESH_DAYS", 7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": True,
    "ALGORITHM": "HS256",
    # A separate key lets an operator revoke every token without touching SECRET_KEY.
    "SIGNING_KEY": env_str("JWT_SIGNING_KEY") or SECRET_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_CLAIM": "user_id",
}

# The web app's refresh token: an httpOnly, SameSite=Strict cookie on /api/auth/session only
# (docs/adr/0013). Secure in production; plain HTTP on a laptop would never send it back.
AUTH_REFRESH_COOKIE = "ab_refresh"
AUTH_REFRESH_COOKIE_SECURE = env_bool("AUTH_REFRESH_COOKIE_SECURE", False)

# Account lock-out after repeated failed logins (per email and per client IP).
LOGIN_LOCKOUT = {
    "per_email": env_int("LOGIN_FAILURES_PER_EMAIL", 5),
    "per_ip": env_int("LOGIN_FAILURES_PER_IP", 20),
    "window_seconds": env_int("LOGIN_LOCKOUT_SECONDS", 900),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Algobacktester API",
    "DESCRIPTION": "Node-graph strategies, asynchronous backtests, paper and live trading.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": "/api",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Every operation documents the 4xx answers it can give, with the one error body.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "algobacktester.api.schema.document_errors",
    ],
    # Stable enum names where apps share a field name ("status", "kind") with other choices.
    "ENUM_NAME_OVERRIDES": {
        "BacktestStatusEnum": "backtests.models.RunStatus",
        "InstrumentKindEnum": "marketdata.models.Instrument.Kind",
        "IngestionRunKindEnum": "marketdata.models.IngestionRun.Kind",
        "NotificationChannelEnum": "notifications.constants.Channel",
        "NotificationEventTypeEnum": "notifications.constants.EventType",
        "AlertRuleKindEnum": "notifications.models.AlertRule.Kind",
        "DeliveryStatusEnum": "notifications.models.Delivery.Status",
        "OrderStatusEnum": "trades.models.OrderStatus",
        "OrderSideEnum": "trades.models.Side",
        "SideEnum": [("long", "long"), ("short", "short")],  # backtest trades, option legs
        "BrokerAccountStatusEnum": "trades.models.BrokerAccount.Status",
        "TradingStateEnum": "trades.models.TradingState",
        "LiveSessionStatusEnum": "live.models.LiveSession.Status",
        "LiveSessionEventKindEnum": "live.models.SessionEvent.Kind",
    },
}

# --- CORS and WebSocket origins ------------------------------------------------
CORS_ALLOWED_ORIGINS = env_list(
    "CORS_ALLOWED_ORIGINS", ["http://127.0.0.1:8000", "http://localhost:8000"]
)
# Browsers always send Origin on a WebSocket handshake; CORS does not cover them.
WEBSOCKET_ALLOWED_ORIGINS = env_list("WEBSOCKET_ALLOWED_ORIGINS", CORS_ALLOWED_ORIGINS)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", CORS_ALLOWED_ORIGINS)

# --- Logging (structlog through logging; docs/operations.md) ---------------------------
# JSON lines for a log pipeline in services mode, a readable console when embedded. The
# formatter is named by path: settings import no project code.
LOG_JSON = env_bool("LOG_JSON", SERVICES_MODE)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"structured": {"()": "algobacktester.logs.formatter", "json": LOG_JSON}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# --- Periodic jobs (the schedule itself: workers/schedule.py, read by the Celery app) ----
CELERY_TIMEZONE = MARKET_TIME_ZONE  # beat crontabs read as IST

# --- Notifications (notifications app; docs/notifications.md) -----------------------
# Provider secrets come only from the environment; a backend is chosen per channel by
# dotted path: SendGrid/Twilio when their credentials are set, else console + outbox.
SENDGRID_API_KEY = env_str("SENDGRID_API_KEY")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
TWILIO_FROM = env_str("TWILIO_FROM")
NOTIFICATIONS = {
    "BACKENDS": {
        "email": "notifications.channels.email."
        + ("SendGridEmail" if SENDGRID_API_KEY else "ConsoleEmail"),
        "sms": "notifications.channels.sms."
        + (
            "TwilioSMS"
            if TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TWILIO_FROM
            else "ConsoleSMS"
        ),
        "push": "notifications.channels.push.WebSocketPush",
        "webhook": "notifications.channels.webhook.HttpWebhook",
    },
    "EMAIL_FROM": env_str("NOTIFICATIONS_EMAIL_FROM", DEFAULT_FROM_EMAIL),
    "SENDGRID_HOST": env_str("SENDGRID_HOST", "https://api.sendgrid.com"),
    "TWILIO_BASE_URL": env_str("TWILIO_BASE_URL"),  # None: Twilio's own API host
    "HTTP_TIMEOUT_SECONDS": env_int("NOTIFICATIONS_HTTP_TIMEOUT_SECONDS", 10),
    # Transient failures (429, 5xx, timeouts) retry with exponential backoff and jitter.
    "MAX_RETRIES": env_int("NOTIFICATIONS_MAX_RETRIES", 4),
    "RETRY_BACKOFF_SECONDS": env_int("NOTIFICATIONS_RETRY_BACKOFF_SECONDS", 15),
    "RETRY_BACKOFF_MAX_SECONDS": env_int("NOTIFICATIONS_RETRY_BACKOFF_MAX_SECONDS", 900),
    # Per user per IST day; over the cap a delivery fails with "daily SMS quota reached".
    "DAILY_QUOTA": {
        "email": env_int("NOTIFICATIONS_DAILY_EMAIL_QUOTA", 200),
        "sms": env_int("NOTIFICATIONS_DAILY_SMS_QUOTA", 20),
    },
    # Channels for an event type the user has not configured in their preferences.
    "DEFAULT_EVENT_CHANNELS": {
        "backtest.finished": ["push"],
        "backtest.failed": ["push"],
        "order.filled": ["push"],
        "order.rejected": ["push"],
        "live.entry": ["push"],
        "live.exit": ["push"],
        "live.guardrail": ["push"],
        "ingestion.failed": ["push", "email"],
    },
    "MAX_RULES_PER_USER": env_int("NOTIFICATIONS_MAX_RULES_PER_USER", 100),
    "PHONE_CODE_TTL_SECONDS": 600,
    "PHONE_CODE_MAX_ATTEMPTS": 5,
    "PHONE_CODES_PER_HOUR": 5,
    # Webhooks to private/loopback hosts are refused (SSRF) unless this is on.
    "WEBHOOK_ALLOW_PRIVATE_HOSTS": env_bool("NOTIFICATIONS_WEBHOOK_ALLOW_PRIVATE_HOSTS", False),
    # Fernet keys for webhook secrets at rest, newest first; empty: derived from SECRET_KEY.
    "SECRET_KEYS": env_list("NOTIFICATIONS_SECRET_KEYS"),
    # Bars loaded per market rule evaluation (indicator warm-up).
    "MARKET_LOOKBACK_BARS": env_int("NOTIFICATIONS_MARKET_LOOKBACK_BARS", 500),
}

# --- Market data (marketdata app; docs/marketdata.md) --------------------------------
MARKETDATA = {
    # name -> dotted path of a marketdata.providers.base.Provider; merged over the built-ins
    # (synthetic, dhan, file), so an operator can add or replace a provider here.
    "PROVIDERS": {},
    "DEFAULT_PROVIDER": env_str("MARKETDATA_DEFAULT_PROVIDER", "synthetic"),
    "MAX_BARS_PER_RESPONSE": env_int("MARKETDATA_MAX_BARS_PER_RESPONSE", 50_000),
    "MAX_SOURCE_BARS": env_int("MARKETDATA_MAX_SOURCE_BARS", 2_000_000),
    "UPLOAD_MAX_BYTES": env_int("MARKETDATA_UPLOAD_MAX_BYTES", 20 * 1024 * 1024),
    "UPLOAD_MAX_UNPACKED_BYTES": env_int("MARKETDATA_UPLOAD_MAX_UNPACKED_BYTES", 200 * 1024 * 1024),
}
UPLOAD_REQUEST_MAX_BYTES = MARKETDATA["UPLOAD_MAX_BYTES"] + DATA_UPLOAD_MAX_MEMORY_SIZE
# Dhan (https://dhanhq.co/docs/v2/): credentials from the environment only, never logged.
DHAN_CLIENT_ID = env_str("DHAN_CLIENT_ID", "")
DHAN_ACCESS_TOKEN = env_str("DHAN_ACCESS_TOKEN", "")
DHAN_BASE_URL = env_str("DHAN_BASE_URL")  # None: the SDK's https://api.dhan.co/v2
DHAN_SECURITY_MASTER_URL = env_str(
    "DHAN_SECURITY_MASTER_URL", "https://images.dhan.co/api-data/api-scrip-master.csv"
)
DHAN_TIMEOUT_SECONDS = env_int("DHAN_TIMEOUT_SECONDS", 30)
DHAN_MAX_RETRIES = env_int("DHAN_MAX_RETRIES", 4)
# Broker limits count per account, so the windows are shared by every process: in Redis in
# services mode, in memory when embedded (algobacktester/ratelimits.py has the defaults;
# a broker's entry here, e.g. {"dhan": {"data": "5/second;100000/day"}}, overrides them).
RATE_LIMITS = {"STORAGE_URL": env_str("RATE_LIMIT_STORAGE_URL", REDIS_URL or "memory://")}

# --- Backtests (backtests app; docs/backtests.md) -------------------------------------
# Caps answer 4xx before anything is queued (OWASP API4: unbounded resource use).
BACKTESTS = {
    "MAX_CONCURRENT_RUNS": env_int("BACKTESTS_MAX_CONCURRENT_RUNS", 5),  # per user, queued+running
    "MAX_BARS": env_int("BACKTESTS_MAX_BARS", 2_000_000),  # stored bars one run may read
    "MAX_YEARS": env_int("BACKTESTS_MAX_YEARS", 25),
    "MAX_SWEEP_COMBINATIONS": env_int("BACKTESTS_MAX_SWEEP_COMBINATIONS", 5_000),
    # bars x combinations: what a whole sweep simulates (5,000 combinations of 400,000 bars)
    "MAX_SWEEP_BARS_TOTAL": env_int("BACKTESTS_MAX_SWEEP_BARS_TOTAL", 2_000_000_000),
    "SWEEP_CHUNK": env_int("BACKTESTS_SWEEP_CHUNK", 100),  # combinations per worker task
    # Heartbeat-renewed every third of its length: it lapses only when the worker is gone.
    "SWEEP_CHUNK_LEASE_SECONDS": env_int("BACKTESTS_SWEEP_CHUNK_LEASE_SECONDS", 15),
    # Renewed by the heartbeat every third of its length and at each stage: a dead worker's
    # run is free again within this, and the reaper (every 10 s) re-queues it.
    "LEASE_SECONDS": env_int("BACKTESTS_LEASE_SECONDS", 15),
    "MAX_ATTEMPTS": env_int("BACKTESTS_MAX_ATTEMPTS", 3),
    # A queued run not taken by then may have lost its message (broker restart): sent again,
    # then at growing intervals; a duplicate message finds the run claimed and does nothing.
    "QUEUED_RESEND_SECONDS": env_int("BACKTESTS_QUEUED_RESEND_SECONDS", 20),
    # A run that hit a database error is sent again after this, doubled per attempt.
    "DATABASE_RETRY_SECONDS": env_int("BACKTESTS_DATABASE_RETRY_SECONDS", 2),
    "CURVE_POINTS": env_int("BACKTESTS_CURVE_POINTS", 2_000),  # equity/drawdown downsampling
}

# --- Trades (trades app; docs/trades.md) -----------------------------------------------
# Live sessions (docs/live.md): the embedded replay thread (on with eager Celery, i.e. `make run`)
# and the feed's leader lease.
LIVE = {
    "EMBEDDED_FEED": env_bool("LIVE_EMBEDDED_FEED", CELERY_TASK_ALWAYS_EAGER),
    "LEASE_SECONDS": env_int("LIVE_FEED_LEASE_SECONDS", 15),
}

TRADES = {
    # Fernet keys for broker credentials at rest, newest first, separate from SECRET_KEY
    # (generate: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").
    # Rotate: put the new key first, run `manage.py trades_rotate_credentials`, drop the old one.
    "CREDENTIALS_KEYS": env_list("TRADES_CREDENTIALS_KEYS"),
    # Live (non-paper) brokers are off until the operator enables them (ARCHITECTURE 7).
    "LIVE_BROKERS_ENABLED": env_bool("TRADES_LIVE_BROKERS_ENABLED", False),
    # name -> dotted path of a trades.brokers.base.Broker; merged over the built-ins and
    # custom_modules/exchanges/<name>.py.
    "BROKERS": {},
    # Submission lease: a worker that dies mid-POST leaves the order SUBMITTING until this
    # lapses; the reaper then marks it UNKNOWN and settles it by client id (never re-posts).
    "SUBMIT_LEASE_SECONDS": env_int("TRADES_SUBMIT_LEASE_SECONDS", 30),
    # An order still NEW this long after commit lost its submission (a dead web process):
    # the reaper sends it to a worker; the claim posts it once.
    "NEW_RESEND_SECONDS": env_int("TRADES_NEW_RESEND_SECONDS", 10),
    # An UNKNOWN order the broker still does not know after this is REJECTED (never placed).
    "UNKNOWN_GIVE_UP_SECONDS": env_int("TRADES_UNKNOWN_GIVE_UP_SECONDS", 300),
    # Dhan access tokens last 24 h: alert this long before one lapses.
    "TOKEN_ALERT_HOURS": env_int("TRADES_TOKEN_ALERT_HOURS", 2),
    # Embedded mode has no beat: reading orders, positions or accounts steps the caller's
    # paper broker (working orders against fresh quotes, square-off), at most every 5 s.
    "REFRESH_ON_READ": env_bool("TRADES_REFRESH_ON_READ", not SERVICES_MODE),
    # Default risk limits of a new account (engine.risk_gate.RiskLimits); per account editable.
    "DEFAULT_RISK": {
        "max_lots_per_order": env_int("TRADES_MAX_LOTS_PER_ORDER", 50),
        "daily_loss_limit": None,
        "max_open_positions": env_int("TRADES_MAX_OPEN_POSITIONS", 20),
        "allowed_instruments": None,
        "trading_hours": ["09:15", "15:30"],
    },
    # Defaults of a new paper account.
    "PAPER": {
        "starting_cash": env_str("TRADES_PAPER_STARTING_CASH", "1000000"),
        "slippage_bps": 2.0,
        "slippage_ticks": 0.0,
        "fee_model": "zero",
        "margin": 1.0,
        "quote_max_age_seconds": env_int("TRADES_PAPER_QUOTE_MAX_AGE_SECONDS", 120),
        "square_off": "15:15",
    },
    # Exchange freeze quantities (units per order) of index derivatives by underlying: above it
    # an order is sliced where the broker can, else refused. Keep current from NSE/BSE circulars.
    "FREEZE_QUANTITY": {
        "NIFTY": 1800,
        "BANKNIFTY": 900,
        "FINNIFTY": 1800,
        "MIDCPNIFTY": 2800,
        "SENSEX": 1000,
    },
    # Dhan rejects a bare SL-M on options: it is sent as SL with this protective limit (%).
    "DHAN_SLM_PROTECTION_PERCENT": 5.0,
    # SEBI retail-algo id sent on orders an automated strategy places (empty: none).
    "DHAN_ALGO_ID": env_str("DHAN_ALGO_ID", ""),
}
if order_limits := env_str("DHAN_ORDER_RATE_LIMITS"):  # e.g. "10/second;250/minute"
    RATE_LIMITS["dhan"] = {"orders": order_limits}
