"""Rapport's web application: `create_app` builds it; nothing runs at import time."""

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from web import (
    account,
    admin,
    api,
    attachments,
    auth,
    backup_cli,
    canned,
    cli,
    config,
    customers,
    dashboard,
    database,
    errors,
    i18n,
    imports,
    input_guard,
    merge,
    notifications,
    organisations,
    outreach,
    phones,
    privacy,
    publishing,
    record_words,
    reports,
    requirements,
    search,
    security,
    segments,
    templating,
)
from web.clocks import clock_from_config
from web.extensions import celery_init_app, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "models" / "migrations")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    # Everything a Rapport process creates holds customer data or secrets (the SQLite file and
    # its WAL, backups, the secret key, the beat schedule): owner-only, 0600 files, 0700 folders.
    os.umask(0o077)
    settings: dict[str, Any] = dict(config.DEFAULTS)
    config.read_plain_env(settings)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(settings)
    app.config.from_prefixed_env(config.ENV_PREFIX)
    app.config.update(overrides or {})
    config.derive(app.config)
    phones.register(app)
    app.instance_path = app.config["INSTANCE_PATH"]

    app.extensions["clock"] = clock_from_config(app.config)
    database.install()
    publishing.install()
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIR, render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    celery_init_app(app)

    security.register(app)
    templating.register(app)
    i18n.register(app)
    record_words.register(app)
    auth.register(app)
    input_guard.register(app)  # after the token check: an anonymous API call is 401 first
    dashboard.register(app)
    notifications.register(app)
    customers.register(app)
    organisations.register(app)
    account.register(app)
    admin.register(app)
    api.register(app)
    security.allow_docs_inline_styles(app)
    errors.register(app)
    cli.register(app)
    backup_cli.register(app)
    imports.register(app)
    merge.register(app)
    segments.register(app)
    requirements.register(app)
    privacy.register(app)
    attachments.register(app)
    canned.register(app)
    outreach.register(app)
    reports.register(app)
    search.register(app)
    return app
