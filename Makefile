# Two commands matter: `make run` and `make test`. Everything else is a step of those.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)
HOST ?= 127.0.0.1
PORT ?= 8000
# Compiled numba kernels (docs/engine.md, "Speed"); engine/__init__.py picks the same default.
export NUMBA_CACHE_DIR ?= $(or $(VAR_DIR),$(CURDIR)/var)/numba
WARM := $(NUMBA_CACHE_DIR)/.warm-stamp
ENGINE_SRC := $(shell find engine -name '*.py' -not -path 'engine/tests/*')
# The web app (frontend/, docs/ui.md): Node 20+. `npm ci` when the lock changes; a build when
# a source or the API schema changes (the schema's types are generated at build).
UI := frontend
UI_DEPS := $(UI)/node_modules/.stamp-ci
UI_BUILD := static/app/index.html
UI_SRC := $(shell find $(UI)/src -type f -not -name 'schema.d.ts' 2>/dev/null) \
	$(addprefix $(UI)/,index.html vite.config.ts tsconfig.json tsconfig.app.json) docs/openapi.yaml

.PHONY: run test install migrate demo lint format bench schema check-deploy worker clean ui ui-test

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

# Compile every kernel signature once, so no first backtest waits (~15-30 s); redone when the
# engine's sources or the requirements change.
$(WARM): $(STAMP) $(ENGINE_SRC)
	$(BIN)/python -m engine.warm
	mkdir -p $(NUMBA_CACHE_DIR) && touch $(WARM)

install: $(STAMP) $(WARM)

$(UI_DEPS): $(UI)/package-lock.json
	cd $(UI) && npm ci --no-audit --no-fund
	touch $(UI_DEPS)

$(UI_BUILD): $(UI_DEPS) $(UI_SRC)
	cd $(UI) && npm run build

ui: $(UI_BUILD)  ## build the web app into static/app/

ui-test: $(UI_DEPS)
	cd $(UI) && npm test

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo ui  ## embedded mode: SQLite, eager Celery, in-memory channels, console email/SMS
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@echo "Algobacktester on http://$(HOST):$(PORT)/  (API docs: /api/docs)"
	$(BIN)/uvicorn algobacktester.asgi:application --host $(HOST) --port $(PORT) --no-proxy-headers

lint: install $(UI_DEPS)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	cd $(UI) && npm run lint

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: lint ui ui-test  ## PostgreSQL and Redis on 127.0.0.1 are used when reachable; browser tests need /usr/bin/chromium
	$(BIN)/python -m pytest

bench: install  ## speed goals; peers from bench/requirements.txt when installed
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --file docs/openapi.yaml

worker: install  ## services mode: one worker for every queue
	$(BIN)/celery -A algobacktester worker -Q backtests,marketdata,live,notifications,default -l info

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache static/app $(UI)/node_modules
