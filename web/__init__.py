"""Rapport's web application: `create_app` builds it; nothing runs at import time."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from web import (
    account,
    admin,
    api,
    auth,
    backup_cli,
    cli,
    config,
    customers,
    dashboard,
    database,
    errors,
    imports,
    merge,
    organisations,
    publishing,
    reports,
    requirements,
    segments,
    templating,
)
from web.clocks import clock_from_config
from web.extensions import celery_init_app, csrf, db, limiter, login_manager, migrate

MIGRATIONS_DIR = str(Path(__file__).resolve().parent.parent / "models" / "migrations")


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    settings: dict[str, Any] = dict(config.DEFAULTS)
    config.read_plain_env(settings)
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(settings)
    app.config.from_prefixed_env(config.ENV_PREFIX)
    app.config.update(overrides or {})
    config.derive(app.config)
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

    templating.register(app)
    auth.register(app)
    dashboard.register(app)
    customers.register(app)
    organisations.register(app)
    account.register(app)
    admin.register(app)
    api.register(app)
    errors.register(app)
    cli.register(app)
    backup_cli.register(app)
    imports.register(app)
    merge.register(app)
    segments.register(app)
    requirements.register(app)
    reports.register(app)
    return app
