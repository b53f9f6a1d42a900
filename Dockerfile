# One image for web, worker, clock and beat (docker-compose.yml picks the command).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    FLASK_APP=web RAPPORT_INSTANCE_PATH=/var/lib/rapport

# pg_dump/pg_restore for `flask backup` (Debian 12's client matches the compose file's PostgreSQL 15).
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY web ./web
COPY workers ./workers
COPY workflows ./workflows
COPY models ./models
# Translation catalogues stay in /app/translations (workflows/platform/i18n.py looks there);
# their .mo files are compiled here, as bin/install does for a checkout.
COPY translations ./translations
RUN pip install --no-cache-dir . \
    && python -m babel.messages.frontend -q compile -d translations \
    && useradd --system --home /var/lib/rapport --create-home rapport
USER rapport
EXPOSE 8000
CMD ["gunicorn", "--no-control-socket", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "web:create_app()"]
