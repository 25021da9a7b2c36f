# syntax=docker/dockerfile:1
# KetaCare: one image for the web server (`ketacare serve`) and the worker
# (`ketacare worker`). docs/deploy.md describes how compose.yaml runs it.

# --- build: the locked dependencies and KetaCare in a virtual environment ---
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
# The lock file first, so a code change does not reinstall every dependency.
COPY requirements.lock ./
RUN pip install --no-deps -r requirements.lock
COPY pyproject.toml README.md ./
COPY ketacare ./ketacare
RUN pip install --no-deps . \
    && pip check
# Static files collected at build time (WhiteNoise serves them, compressed).
RUN KETACARE_VAR_DIR=/opt/build-var KETACARE_STATIC_ROOT=/opt/ketacare/static \
    python -m ketacare.cli collectstatic --noinput --verbosity 0

# --- runtime: slim Python, Pango for the PDFs, a non-root user ---
FROM python:3.11-slim-bookworm AS runtime
# Debian's security updates apply to these, so they are not pinned to a version.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*
RUN groupadd --system --gid 10001 ketacare \
    && useradd --system --uid 10001 --gid ketacare --home-dir /var/lib/ketacare \
        --shell /usr/sbin/nologin ketacare \
    && install -d -o ketacare -g ketacare -m 0700 /var/lib/ketacare
COPY --from=build /opt/venv /opt/venv
# Outside the data volume, so a new image brings its own static files.
COPY --from=build /opt/ketacare/static /opt/ketacare/static
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    KETACARE_ENV=production \
    KETACARE_VAR_DIR=/var/lib/ketacare \
    KETACARE_STATIC_ROOT=/opt/ketacare/static \
    KETACARE_BIND=0.0.0.0:8000 \
    KETACARE_LOG_FORMAT=json \
    PROMETHEUS_MULTIPROC_DIR=/tmp/ketacare-metrics
USER 10001:10001
WORKDIR /var/lib/ketacare
EXPOSE 8000
# /healthz answers 503 while the database, the migrations or the worker fail.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; host = os.environ['KETACARE_ALLOWED_HOSTS'].split(',')[0]; urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=4)"]
CMD ["ketacare", "serve", "--no-collectstatic"]
