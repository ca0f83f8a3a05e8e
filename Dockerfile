# One image for web, worker, beat and the one-shot migrate job (docker-compose.yml picks the
# command). The app runs from /app: the working directory comes first on sys.path for gunicorn,
# celery and flask, so templates/ and migrations/ beside the package are found.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    REFERRAL_ENV=production \
    REFERRAL_INSTANCE_PATH=/var/lib/referral

WORKDIR /app
COPY pyproject.toml README.md babel.cfg ./
COPY referral ./referral
COPY workers ./workers
COPY templates ./templates
COPY migrations ./migrations

RUN pip install . \
    && if ls referral/translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then \
         pybabel compile -f -d referral/translations; \
       else echo "no translation catalogues to compile"; fi

RUN useradd --system --uid 10001 --home-dir /var/lib/referral --shell /usr/sbin/nologin referral \
    && mkdir -p /var/lib/referral && chown referral:referral /var/lib/referral
USER referral

EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", \
     "referral:create_app()"]
