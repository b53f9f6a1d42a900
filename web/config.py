"""Settings: one commented line each in DEFAULTS, read from the environment, then derived.

Conventional names are read as they are (`DATABASE_URL`, `REDIS_URL`, `SECRET_KEY`); every other
setting is `RAPPORT_<KEY>` (nested keys with `__`, e.g. `RAPPORT_CELERY__worker_concurrency=4`),
parsed as JSON where it parses (so `RAPPORT_SMTP_PORT=2525` arrives as an int).
"""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

DEFAULTS: dict[str, Any] = {
    # SQLAlchemy URL; default: SQLite file `instance/rapport.sqlite3` (WAL, 30 s busy timeout).
    "DATABASE_URL": None,
    # Redis: Celery broker, login rate limits, clock heartbeat and wake-ups.
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    # Signs sessions and CSRF tokens; default: generated once into instance/secret_key.
    "SECRET_KEY": None,
    # Where outgoing email goes.
    "SMTP_HOST": "127.0.0.1",
    "SMTP_PORT": 1025,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": False,
    "SMTP_SSL": False,
    # Seconds an SMTP command may wait for the server before the message is tried again later.
    "SMTP_TIMEOUT": 10.0,
    # From address of every email Rapport sends; its domain also names Message-IDs.
    "MAIL_FROM": "Rapport <rapport@example.com>",
    # Where customers' mail reaches Rapport; replies go to <local>+<thread>-<signature>@<domain>
    # of it (workflows/platform/mail_threads.py), which the inbound process accepts.
    "INBOUND_ADDRESS": "support@example.com",
    # The inbound SMTP process (`python -m workers.inbound`) listens here.
    "INBOUND_SMTP_HOST": "127.0.0.1",
    "INBOUND_SMTP_PORT": 2525,
    # Largest message taken, in bytes (SMTP answers 552, the HTTP endpoint 413).
    "INBOUND_MAX_BYTES": 30 * 1024 * 1024,
    # Mail from an address no customer has: "create" a customer and a requirement, or "ignore"
    # (kept as an unmatched message).
    "INBOUND_UNKNOWN_SENDERS": "create",
    # Messages one sender may send a minute before being told to try later (451 / 429); 0: no limit.
    "INBOUND_SENDER_LIMIT_PER_MINUTE": 30,
    # Languages of the quoted-reply lines ("On … wrote:") cut from what the timeline shows; each
    # costs ~0.1 ms a message. mail-parser-reply knows en de fr es it nl pl sv da cs zh ja ko.
    "INBOUND_REPLY_LANGUAGES": ["en", "de", "fr", "es", "zh"],
    # Shared secret for POST /api/v1/inbound/email signed with X-Rapport-Signature (HMAC-SHA256
    # of the body, hex); unset: only an admin's API token is accepted.
    "INBOUND_HTTP_SECRET": None,
    # Optional IMAP polling of a mailbox kept elsewhere: off while INBOUND_IMAP_HOST is unset;
    # beat polls the folder's unseen messages every INBOUND_IMAP_INTERVAL seconds.
    "INBOUND_IMAP_HOST": None,
    "INBOUND_IMAP_PORT": 993,
    "INBOUND_IMAP_SSL": True,
    "INBOUND_IMAP_USERNAME": None,
    "INBOUND_IMAP_PASSWORD": None,
    "INBOUND_IMAP_FOLDER": "INBOX",
    "INBOUND_IMAP_INTERVAL": 60.0,
    # Attachments are kept here under their SHA-256; default: instance/attachments.
    "ATTACHMENTS_DIR": None,
    # Largest attachment kept, in bytes; larger ones are listed as refused.
    "ATTACHMENTS_MAX_BYTES": 25 * 1024 * 1024,
    # Content types kept (shell patterns; "*/*" keeps every type); others are listed as refused.
    "ATTACHMENTS_ALLOWED_TYPES": [
        "image/*",
        "text/plain",
        "text/csv",
        "text/calendar",
        "application/pdf",
        "application/zip",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.*",
        "application/vnd.oasis.opendocument.*",
        "message/rfc822",
        "audio/*",
        "video/*",
    ],
    # An agent's reply: at most this many attached files, adding up to at most this many bytes
    # (each also within ATTACHMENTS_MAX_BYTES and ATTACHMENTS_ALLOWED_TYPES); base64 makes the
    # message about a third larger, and many mail servers refuse over 25 MB.
    "REPLY_ATTACHMENTS_MAX_COUNT": 10,
    "REPLY_ATTACHMENTS_MAX_TOTAL_BYTES": 10 * 1024 * 1024,
    # Beat removes attachment files no row references (left by a rolled-back transaction) once
    # they are this many minutes old, every ATTACHMENTS_SWEEP_INTERVAL seconds.
    "ATTACHMENTS_ORPHAN_MINUTES": 60,
    "ATTACHMENTS_SWEEP_INTERVAL": 3600.0,
    # Region (ISO code, e.g. "CN") in which a phone number typed without "+" is read when the
    # customer has no country, and whose numbers pages show in national format; None: only
    # the customer's country, and pages show every number internationally.
    "PHONE_REGION": None,
    # Time zone for users who have not chosen one, and for new users.
    "DEFAULT_TIMEZONE": "UTC",
    # Interface language when neither the user's setting nor the browser's Accept-Language names
    # a supported one (en, zh_Hans; tags such as zh-CN are understood).
    "DEFAULT_LANGUAGE": "en",
    # Public base URL, used in links inside emails.
    "BASE_URL": "http://127.0.0.1:8000",
    # Hours a new user's invitation (set-password) link stays valid; an admin can resend.
    "INVITATION_EXPIRY_HOURS": 72,
    # Failed sign-ins per account before each attempt waits twice as long (web/auth/backoff.py),
    # up to this many seconds; the owner is emailed when it starts.
    "LOGIN_BACKOFF_AFTER": 5,
    "LOGIN_BACKOFF_MAX_SECONDS": 900,
    # Failed logins allowed per client IP (Flask-Limiter syntax).
    "LOGIN_LIMIT_PER_IP": "30 per 15 minutes",
    # Failed password changes (wrong current password) per signed-in user before 429: a
    # stolen session must not become a password-guessing oracle.
    "PASSWORD_CHANGE_LIMIT": "5 per 15 minutes",
    # Served over HTTPS: Secure cookies and HSTS (docker-compose turns it on behind Caddy).
    "SECURE_COOKIES": False,
    # Proxies in front whose X-Forwarded-For/-Proto/-Host to believe (0: none; compose: 1).
    "TRUSTED_PROXIES": 0,
    # Days a "keep me signed in" cookie lasts (sign-out ends it sooner, server-side).
    "REMEMBER_DAYS": 14,
    # Requirements every signed-in user may read: false = admins all, others their teams', the
    # teamless and their own (workflows/tracking/visibility.py); true = everyone everything.
    "REQUIREMENTS_VISIBLE_TO_ALL": False,
    # Clock: "system" in production; "offset" (a Redis-shared offset) only for end-to-end tests.
    "CLOCK": "system",
    # The clock process loops at least this often (seconds) and writes its heartbeat.
    "CLOCK_INTERVAL": 1.0,
    # /healthz calls the clock unhealthy when its heartbeat is older than this (seconds).
    "CLOCK_STALE_AFTER": 10.0,
    # Seconds a claimed Celery message may stay unacknowledged before Redis redelivers it.
    # Recovery after a worker crash does not wait for it: the sweeps free a dead worker's
    # outbox and timer claims within seconds (DESIGN.md §6).
    "VISIBILITY_TIMEOUT": 3600,
    # Seconds between beat's outbox and timer sweeps (expired leases back to pending, due
    # messages re-published): with 5 s leases, a crashed worker's work resumes within ~8 s.
    "SWEEP_INTERVAL": 2.0,
    # SQLite: begin every transaction IMMEDIATE (the worker and clock processes set this; web
    # requests decide by method). See web/database.py.
    "SQLITE_IMMEDIATE": False,
    # Roles whose users see contact points masked (a***@example.com), e.g. ["agent"]; they may
    # reveal one customer's at a time, which the access log records.
    "MASKED_ROLES": [],
    # Days the customer access log (views, exports, reveals, erasures) is kept.
    "ACCESS_LOG_RETENTION_DAYS": 365,
    # Seconds a web process reuses a supervisor's at-risk/breached counts in the navigation (0:
    # count on every page); the escalation queue and its live updates always count afresh.
    "ESCALATION_NAV_CACHE_SECONDS": 5.0,
    # Seconds between beat's outreach planning runs (enrol newcomers of active strategies,
    # release expired leases of due steps); the clock claims due steps within a second anyway.
    "OUTREACH_PLAN_INTERVAL": 60.0,
    # Seconds between beat's recomputations of adaptive strategies' variant splits (Thompson
    # sampling over each variant's goal rate); steps planned in between use the latest split.
    "OUTREACH_SPLIT_INTERVAL": 3600.0,
    # Extra Celery settings, merged over the derived ones.
    "CELERY": {},
    # Instance folder (SQLite file, secret key, beat schedule); default: ./instance.
    "INSTANCE_PATH": None,
}

ENV_PREFIX = "RAPPORT"
PLAIN_ENV_NAMES = ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")


def instance_path(config: dict[str, Any]) -> Path:
    path = Path(config.get("INSTANCE_PATH") or Path.cwd() / "instance")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def read_plain_env(config: dict[str, Any]) -> None:
    for name in PLAIN_ENV_NAMES:
        if os.environ.get(name):
            config[name] = os.environ[name]


def persistent_secret_key(folder: Path) -> str:
    """The instance's secret key, generated on first use and kept (mode 0600)."""
    path = folder / "secret_key"
    if not path.exists():
        # Write a private temp file, then link it into place: when several processes start at
        # once, exactly one link wins and everyone reads the winner's complete key.
        fd, temp = tempfile.mkstemp(dir=folder, prefix=".secret_key.")
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
        try:
            os.link(temp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(temp)
    return path.read_text().strip()


def derive(config: dict[str, Any]) -> None:
    """Fill settings computed from others: database URI, engine options, Celery, cookies."""
    folder = instance_path(config)
    config["INSTANCE_PATH"] = str(folder)
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = persistent_secret_key(folder)
    config["ATTACHMENTS_DIR"] = str(config.get("ATTACHMENTS_DIR") or folder / "attachments")
    url = config.get("DATABASE_URL") or f"sqlite:///{folder / 'rapport.sqlite3'}"
    if url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgres://")
    elif url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    config["DATABASE_URL"] = url
    config["SQLALCHEMY_DATABASE_URI"] = url
    config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(url)
    config["SESSION_COOKIE_HTTPONLY"] = True
    config["SESSION_COOKIE_SAMESITE"] = "Lax"
    config["SESSION_COOKIE_SECURE"] = bool(config["SECURE_COOKIES"])
    config["REMEMBER_COOKIE_HTTPONLY"] = True
    config["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    config["REMEMBER_COOKIE_SECURE"] = bool(config["SECURE_COOKIES"])
    config["REMEMBER_COOKIE_DURATION"] = timedelta(days=float(config["REMEMBER_DAYS"]))
    config["RATELIMIT_STORAGE_URI"] = config.get("RATELIMIT_STORAGE_URI") or config["REDIS_URL"]
    config["RATELIMIT_IN_MEMORY_FALLBACK_ENABLED"] = True
    config["RATELIMIT_HEADERS_ENABLED"] = True
    config["CELERY"] = celery_settings(config)


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        # A long busy timeout: without it, "database is locked" strands claimed work (DESIGN §5).
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True}


def celery_settings(config: dict[str, Any]) -> dict[str, Any]:
    visibility = int(config["VISIBILITY_TIMEOUT"])
    sweep_interval = float(config["SWEEP_INTERVAL"])
    settings = {
        "broker_url": config["REDIS_URL"],
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": {
            "visibility_timeout": visibility,
            # kombu restores unacked messages of dead workers only on its restore sweep, run every
            # interval times throttle seconds: with 1 and 1 a killed worker's message comes back
            # one visibility timeout after delivery (ENVIRONMENT.md measured 5 to 6 s at 5 s).
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
        "task_ignore_result": True,
        "result_backend": None,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "task_default_queue": "default",
        "task_routes": {
            "timers.*": {"queue": "timers"},
            "outbox.*": {"queue": "outbox"},
            "outreach.*": {"queue": "outreach"},
        },
        "beat_schedule": {
            "outbox-sweep": {"task": "outbox.sweep", "schedule": sweep_interval},
            "timers-sweep": {"task": "timers.sweep", "schedule": sweep_interval},
            "privacy-retention": {"task": "privacy.retention", "schedule": 3600.0},
            "attachments-sweep": {
                "task": "attachments.sweep_orphans",
                "schedule": float(config["ATTACHMENTS_SWEEP_INTERVAL"]),
            },
            "outreach-plan": {
                "task": "outreach.plan",
                "schedule": float(config["OUTREACH_PLAN_INTERVAL"]),
            },
            "outreach-adapt-splits": {
                "task": "outreach.adapt_splits",
                "schedule": float(config["OUTREACH_SPLIT_INTERVAL"]),
            },
        },
        "worker_hijack_root_logger": False,
        "timezone": "UTC",
    }
    if config.get("INBOUND_IMAP_HOST"):
        settings["beat_schedule"]["inbound-imap-poll"] = {
            "task": "inbound.poll_imap",
            "schedule": float(config["INBOUND_IMAP_INTERVAL"]),
        }
    settings.update(config.get("CELERY") or {})
    return settings
