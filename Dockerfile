# The web app (frontend/, docs/ui.md), built into static/app/ for collectstatic below.
FROM node:20-slim AS ui
WORKDIR /app
COPY frontend/package.json frontend/package-lock.json frontend/
RUN cd frontend && npm ci --no-audit --no-fund
COPY frontend frontend
COPY docs/openapi.yaml docs/openapi.yaml
RUN cd frontend && npm run build

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/app/var
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=ui /app/static/app static/app
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput
# Compile the numba kernels into the image (no first-backtest compile wait); /app/var is
# handed to the app user below, so later signatures can still be added to the cache.
ENV NUMBA_CACHE_DIR=/app/var/numba
RUN python -m engine.warm
RUN useradd --create-home app && mkdir -p /app/var && chown -R app /app/var
USER app
EXPOSE 8000
# Web workers: WEB_CONCURRENCY, else one per core (gunicorn.conf.py).
CMD ["gunicorn", "algobacktester.asgi:application", "-c", "gunicorn.conf.py", "-k", "algobacktester.asgi_worker.UvicornWorker", "--bind", "0.0.0.0:8000"]
