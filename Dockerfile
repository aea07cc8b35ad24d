# PolicyHub container image: one image for the web server, the Celery worker
# and Celery beat.
#
#   docker build -t policyhub .
#   docker run --rm --env-file policyhub.env policyhub python manage.py migrate --no-input
#   docker run -d --env-file policyhub.env -p 8000:8000 policyhub
#   docker run -d --env-file policyhub.env --no-healthcheck policyhub \
#       celery -A policyhub worker --loglevel=INFO
#   docker run -d --env-file policyhub.env --no-healthcheck policyhub \
#       celery -A policyhub beat --loglevel=INFO --schedule /tmp/celerybeat-schedule
#
# The worker and beat run from the same image by replacing the command. They
# disable the health check, which probes the web server on port 8000 and would
# mark them unhealthy. docker-compose.yml and the Helm chart in
# deploy/helm/policyhub run all three, and docs/operations.md explains both.
# Production settings (policyhub/settings/production.py) raise
# ImproperlyConfigured at start-up unless SECRET_KEY, a PostgreSQL
# DATABASE_URL, REDIS_URL, ALLOWED_HOSTS and POLICYHUB_SIGNING_PASSPHRASE are
# set. Each of these may instead be given as *_FILE, naming a file that
# contains the value. docs/architecture.md lists every variable.
#
# Storage that the web and worker containers must share:
#   signed PDFs and    an S3-compatible bucket when AWS_STORAGE_BUCKET_NAME is
#   uploaded files     set, otherwise /app/var/media on a shared volume. The
#                      worker writes the PDFs, and the web server writes one
#                      itself when a download finds it missing.
#   the PKCS#12 file   named by POLICYHUB_SIGNING_P12 (default
#                      /app/var/signing/policyhub-signing.p12), mounted
#                      read-only. No key or certificate is built into the image.
#
# WhiteNoise serves /static/ from /app/static, which collectstatic fills at
# build time, so no reverse proxy configuration is needed for static files.
# The root file system can be read-only: the processes write only to /tmp
# and, with local storage, to /app/var.

# Both stages must use the same image, because the virtual environment's
# python links to the base image's /usr/local/bin/python3. Builds that need
# reproducibility can pin a digest with --build-arg PYTHON_IMAGE=...@sha256:...
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------
# Builder: resolve and install the pinned requirements into /opt/venv.
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN python -m venv /opt/venv
COPY requirements.txt /tmp/requirements.txt
# --only-binary: every requirement installs from a prebuilt wheel, so the
# builder needs no compiler and a package without a wheel fails the build.
# pip and setuptools are then removed from the virtual environment, because
# nothing installs packages at run time.
RUN /opt/venv/bin/pip install --only-binary=:all: -r /tmp/requirements.txt \
    && /opt/venv/bin/pip uninstall --yes pip setuptools

# ---------------------------------------------------------------------------
# Runtime: the virtual environment, the application and WeasyPrint's libraries.
FROM ${PYTHON_IMAGE} AS runtime

# WeasyPrint loads Pango, HarfBuzz's subsetter and fontconfig at run time, and
# the PDFs use DejaVu fonts. psycopg[binary] bundles libpq, so no client
# library is installed. The package lists are deleted in the same layer.
# The versions are not pinned (hadolint DL3008) because each rebuild should
# take the base release's security updates, and Debian removes superseded
# versions from its archive, which would break a pinned build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# Fixed IDs, so mounted volumes and secrets can be owned by 10001 on the host
# and Kubernetes can check runAsUser: 10001 against the image.
RUN groupadd --gid 10001 policyhub \
    && useradd --uid 10001 --gid 10001 --create-home --home-dir /home/policyhub \
        --shell /usr/sbin/nologin policyhub

# XDG_CACHE_HOME points fontconfig's cache at /tmp, which stays writable when
# the root file system is read-only.
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    XDG_CACHE_HOME=/tmp/.cache \
    DJANGO_SETTINGS_MODULE=policyhub.settings.production

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
COPY manage.py ./
COPY policyhub/ policyhub/
COPY templates/ templates/
COPY policies_seed/ policies_seed/

# Production settings store static files with WhiteNoise's
# CompressedManifestStaticFilesStorage, so collectstatic must run under those
# settings to write staticfiles.json, which {% static %} reads on every page.
# The variables below are set for this one command, only so that the
# production settings import. collectstatic opens no database or Redis
# connection, so their addresses are never used.
RUN SECRET_KEY=build-only-key-for-collectstatic-never-used-at-runtime-0000000 \
    DATABASE_URL=postgres://build@127.0.0.1:5432/unused \
    REDIS_URL=redis://127.0.0.1:6379/0 \
    POLICYHUB_SIGNING_PASSPHRASE=unused-at-build-time \
    python manage.py collectstatic --no-input \
    && python -m compileall -q manage.py policyhub

# The application code stays owned by root and read-only for the service user.
# Only var/ (local media and the default signing certificate location) is
# writable.
RUN mkdir -p /app/var/media /app/var/signing \
    && chown -R policyhub:policyhub /app/var

USER 10001:10001
EXPOSE 8000

# The check requests /healthz, which answers 200 only when PostgreSQL and Redis
# answer, and 503 otherwise. /healthz is exempt from the HTTPS redirect.
# The Host header is the first ALLOWED_HOSTS entry, because Django answers 400
# to any other host. Any exception, including an HTTP error status, makes
# python exit with status 1 (unhealthy).
HEALTHCHECK --interval=30s --timeout=10s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; hosts = open(os.environ['ALLOWED_HOSTS_FILE']).read() if 'ALLOWED_HOSTS_FILE' in os.environ else os.environ.get('ALLOWED_HOSTS', ''); host = next((name.strip().lstrip('.') for name in hosts.split(',') if name.strip() not in ('', '*')), 'localhost'); urllib.request.urlopen(urllib.request.Request('http://127.0.0.1:8000/healthz', headers={'Host': host}), timeout=5)"]

# Gunicorn reads WEB_CONCURRENCY as its worker count and GUNICORN_CMD_ARGS
# for further options, so both can be overridden with `docker run -e`.
# Options given in CMD below take precedence over GUNICORN_CMD_ARGS.
# Two worker processes with four threads each are a starting point for a
# container with two CPU cores, not a measured optimum. Raise WEB_CONCURRENCY
# with the CPU count. The 60 s timeout leaves room for a download that renders
# and signs a PDF on first request.
# The service must sit behind a TLS-terminating proxy that sets
# X-Forwarded-Proto, because production settings trust that header
# (SECURE_PROXY_SSL_HEADER) from any client.
ENV WEB_CONCURRENCY=2 \
    GUNICORN_CMD_ARGS="--threads 4 --timeout 60 --graceful-timeout 30 --keep-alive 5 --max-requests 1000 --max-requests-jitter 100"

# The worker heartbeat files go to /dev/shm, a tmpfs in Docker, so a slow
# container file system cannot make Gunicorn kill busy workers. Gunicorn's
# control socket is disabled because nothing in the container uses it.
CMD ["gunicorn", "policyhub.wsgi:application", \
     "--bind", "0.0.0.0:8000", \
     "--access-logfile", "-", \
     "--error-logfile", "-", \
     "--worker-tmp-dir", "/dev/shm", \
     "--no-control-socket"]
