"""Configuration from the environment, with a persisted secret key."""

from pathlib import Path

import pytest

from web import create_app
from web.config import DEFAULTS


def test_secret_key_is_generated_once_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = create_app({"INSTANCE_PATH": str(tmp_path)})
    second = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert len(first.config["SECRET_KEY"]) >= 40
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    key_file = tmp_path / "secret_key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert DEFAULTS["SECRET_KEY"] is None


def test_default_database_is_a_sqlite_file_in_the_instance_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'rapport.sqlite3'}"


def test_environment_variables_are_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db.internal:5432/crm")
    monkeypatch.setenv("REDIS_URL", "redis://cache:6379/3")
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")
    monkeypatch.setenv("RAPPORT_SMTP_PORT", "2525")
    monkeypatch.setenv("RAPPORT_DEFAULT_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("RAPPORT_CELERY__worker_concurrency", "4")
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal:5432/crm"
    assert app.config["CELERY"]["broker_url"] == "redis://cache:6379/3"
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert app.config["SMTP_PORT"] == 2525
    assert app.config["DEFAULT_TIMEZONE"] == "Europe/Berlin"
    assert app.config["CELERY"]["worker_concurrency"] == 4


def test_celery_is_configured_for_reliable_delivery(tmp_path: Path) -> None:
    app = create_app({"INSTANCE_PATH": str(tmp_path)})
    celery_app = app.extensions["celery"]
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.worker_prefetch_multiplier == 1
    assert celery_app.conf.task_ignore_result is True
    assert {q.name for q in celery_app.conf.task_queues} == {
        "timers",
        "outbox",
        "outreach",
        "default",
    }
    assert celery_app.amqp.router.route({}, "outbox.send")["queue"].name == "outbox"
