"""The schema comes from the migrations, and they match the models."""

import warnings

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import select, text

from models import Base, Team
from models.search import UNREFLECTED_WARNING, is_managed
from web.extensions import db


def test_migrations_match_the_models(in_app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_name": lambda name, type_, parent: is_managed(name),
            },
        )
        with warnings.catch_warnings():
            # SQLite cannot reflect the queues' expression indexes; they are not compared.
            warnings.filterwarnings("ignore", message=UNREFLECTED_WARNING)
            diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_aware_datetimes_round_trip(in_app: Flask) -> None:
    from datetime import UTC, datetime, timedelta, timezone

    tokyo = timezone(timedelta(hours=9))
    db.session.add(Team(name="Night shift", created_at=datetime(2026, 1, 1, 9, tzinfo=tokyo)))
    db.session.commit()
    db.session.expire_all()
    created = db.session.scalar(select(Team.created_at))
    assert created == datetime(2026, 1, 1, 0, tzinfo=UTC)
    assert created.tzinfo is UTC


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(in_app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        return  # a PostgreSQL run checks the same settings' absence of need
    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA busy_timeout")).scalar() >= 10_000
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
