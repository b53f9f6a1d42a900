"""`flask backup create` / `flask backup restore` on the real database (SQLite or PostgreSQL):
the round trip into an empty database, the refusal to overwrite data, and a damaged file."""

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import Result
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy import func, inspect, select, text

from models import Base, Communication, CommunicationChannel, Customer, Direction
from web.extensions import db
from workflows.customers import profiles
from workflows.platform.backup import Manifest, manifest_path, sha256_of
from workflows.platform.clock import ManualClock

clock = ManualClock(datetime(2026, 11, 25, 12, 0, tzinfo=UTC))


def run(app: Flask, *args: str) -> Result:
    return app.test_cli_runner().invoke(args=list(args))


def counts(app: Flask) -> dict[str, int]:
    """Rows per model table, counted with plain SQL (not the code under test)."""
    with app.app_context():
        result = {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }
        db.session.remove()
        return result


def seed(app: Flask, n: int = 12) -> None:
    with app.app_context():
        for i in range(n):
            customer = profiles.create_customer(
                db.session,
                {"name": f"Customer {i}", "emails": f"c{i}@example.com", "tags": "vip, north"},
                actor_id=None,
                clock=clock,
            )
            db.session.add(
                Communication(
                    customer_id=customer.id,
                    channel=CommunicationChannel.CALL,
                    direction=Direction.INBOUND,
                    occurred_at=clock.now(),
                    body_text=f"call {i}",
                    participants=[],
                    created_at=clock.now(),
                    updated_at=clock.now(),
                )
            )
        db.session.commit()
        db.session.remove()


def _admin_sql(app: Flask, *statements: str) -> None:
    with app.app_context(), db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        for statement in statements:
            conn.execute(text(statement))


@pytest.fixture
def empty_app(app: Flask, make_app: Callable[..., Flask], tmp_path: Path) -> Iterator[Flask]:
    """An app on a brand-new, empty database of the same kind (no tables at all)."""
    with app.app_context():
        url = db.engine.url
    if url.get_backend_name() == "sqlite":
        yield make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        return
    name = "rapport_restore_target"
    _admin_sql(app, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}")
    other = make_app(DATABASE_URL=url.set(database=name).render_as_string(hide_password=False))
    yield other
    with other.app_context():
        db.engine.dispose()
    _admin_sql(app, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def backup_file(app: Flask, tmp_path: Path) -> Path:
    seed(app)
    file = tmp_path / "snapshot.bak"
    result = run(app, "backup", "create", str(file))
    assert result.exit_code == 0, result.output
    assert f"Backup written: {file}" in result.output
    return file


def test_backup_then_restore_into_an_empty_database_gives_identical_counts(
    app: Flask, empty_app: Flask, backup_file: Path
) -> None:
    before = counts(app)
    assert before["customers"] == 12 and before["communications"] == 12
    manifest = Manifest.read(backup_file)
    assert manifest.sha256 == sha256_of(backup_file)
    assert {k: manifest.row_counts[k] for k in before} == before

    result = run(empty_app, "backup", "restore", str(backup_file))

    assert result.exit_code == 0, result.output
    assert "Checksum OK" in result.output
    assert "every row count matches the manifest" in result.output
    assert counts(empty_app) == before
    with empty_app.app_context():
        names = sorted(db.session.scalars(select(Customer.name)))
        db.session.remove()
    assert names == sorted(f"Customer {i}" for i in range(12))


def test_a_freshly_migrated_database_counts_as_empty(
    app: Flask, empty_app: Flask, backup_file: Path
) -> None:
    with empty_app.app_context():
        upgrade()  # schema and the seeded default stages only: nothing to lose
        db.session.remove()

    result = run(empty_app, "backup", "restore", str(backup_file))

    assert result.exit_code == 0, result.output
    assert counts(empty_app) == counts(app)


def test_restore_refuses_to_overwrite_data_without_force(
    app: Flask, backup_file: Path, tmp_path: Path
) -> None:
    with app.app_context():
        profiles.create_customer(
            db.session, {"name": "Added after the backup"}, actor_id=None, clock=clock
        )
        db.session.commit()
        db.session.remove()
    after = counts(app)

    refused = run(app, "backup", "restore", str(backup_file))
    assert refused.exit_code != 0
    assert "holds data" in refused.output and "--force" in refused.output
    assert counts(app) == after

    forced = run(app, "backup", "restore", "--force", str(backup_file))
    assert forced.exit_code == 0, forced.output
    restored = counts(app)
    assert restored["customers"] == 12
    assert {k: v for k, v in Manifest.read(backup_file).row_counts.items() if k in restored} == (
        restored
    )


def test_a_damaged_backup_is_refused_by_its_checksum(empty_app: Flask, backup_file: Path) -> None:
    data = bytearray(backup_file.read_bytes())
    data[len(data) // 2] ^= 0xFF
    backup_file.write_bytes(bytes(data))

    result = run(empty_app, "backup", "restore", str(backup_file))

    assert result.exit_code != 0
    assert "Checksum mismatch" in result.output and "nothing was restored" in result.output
    with empty_app.app_context():
        assert inspect(db.engine).get_table_names() == []  # nothing was written


def test_restore_without_a_manifest_is_refused(empty_app: Flask, backup_file: Path) -> None:
    manifest_path(backup_file).unlink()
    result = run(empty_app, "backup", "restore", str(backup_file))
    assert result.exit_code != 0
    assert "No manifest" in result.output
