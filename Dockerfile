# One image for web, worker, beat and the one-shot migrate job (docker-compose.yml picks the
# command), built in two stages (docs/operations.md, "Builds"):
# 1. build: the project's wheel, complete: templates, migrations, static files and the compiled
#    catalogues inside the package (pyproject.toml, hatch_build.py).
# 2. runtime: the pinned dependencies from requirements.lock, every file checked against its
#    sha256 (--require-hashes), then that wheel without dependencies. No source tree in the image.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md hatch_build.py ./
COPY referral ./referral
COPY workers ./workers
COPY templates ./templates
COPY migrations ./migrations
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFERRAL_ENV=production \
    REFERRAL_INSTANCE_PATH=/var/lib/referral \
    PROMETHEUS_MULTIPROC_DIR=/tmp/referral-metrics

# pg_dump/pg_restore for `flask backup` and `flask restore`, of the server's major version
# (compose runs postgres:16; Debian's own client is older and pg_dump refuses a newer server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && install -d /usr/share/postgresql-common/pgdg \
    && curl -fsSL -o /usr/share/postgresql-common/pgdg/apt.postgresql.org.asc \
       https://www.postgresql.org/media/keys/ACCC4CF8.asc \
    && . /etc/os-release \
    && echo "deb [signed-by=/usr/share/postgresql-common/pgdg/apt.postgresql.org.asc] https://apt.postgresql.org/pub/repos/apt ${VERSION_CODENAME}-pgdg main" \
       > /etc/apt/sources.list.d/pgdg.list \
    && apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && apt-get purge -y curl && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes -r /tmp/requirements.lock && rm /tmp/requirements.lock
COPY --from=build /dist/ /tmp/dist/
RUN pip install --no-deps /tmp/dist/referral-*.whl && rm -rf /tmp/dist
COPY gunicorn.conf.py ./

RUN useradd --system --uid 10001 --home-dir /var/lib/referral --shell /usr/sbin/nologin referral \
    && mkdir -p /var/lib/referral && chown referral:referral /var/lib/referral
USER referral

EXPOSE 8000
# web: /health answers 503 only when the database or the broker is down (a stale beat is
# "degraded" with 200). worker and beat have their own checks in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=5)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "--workers", "3", \
     "--timeout", "60", \
     "referral:create_app()"]
