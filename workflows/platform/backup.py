"""Consistent snapshots of the whole database and their verified restore.

SQLite: the online backup API copies every page while the app keeps running. PostgreSQL:
`pg_dump -Fc` inside an exported snapshot, so the manifest's row counts describe exactly the
rows in the dump. Each backup file has a manifest beside it (`<file>.manifest.json`): the
database kind, per-table row counts and the file's SHA-256. Restore checks the checksum before
touching anything and the row counts afterwards.
"""

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, inspect, select, text
from sqlalchemy.engine import URL

from models import Base, LifecycleStage
from models.customer import DEFAULT_STAGES
from workflows.platform.clock import Clock

MANIFEST_SUFFIX = ".manifest.json"
FORMAT_VERSION = 1


class BackupError(Exception):
    """A backup or restore that was refused or failed; the message says why."""


@dataclass
class Manifest:
    database: str  # "sqlite" or "postgresql"
    created_at: str
    sha256: str
    row_counts: dict[str, int]
    format_version: int = FORMAT_VERSION

    @classmethod
    def read(cls, backup_file: Path) -> "Manifest":
        path = manifest_path(backup_file)
        if not path.exists():
            raise BackupError(f"No manifest {path}: cannot verify {backup_file}.")
        try:
            data = json.loads(path.read_text())
            return cls(**data)
        except (ValueError, TypeError) as exc:
            raise BackupError(f"Unreadable manifest {path}: {exc}") from exc

    def write(self, backup_file: Path) -> Path:
        path = manifest_path(backup_file)
        path.write_text(json.dumps(asdict(self), indent=2, sort_keys=True) + "\n")
        return path


@dataclass
class RestoreReport:
    restored: bool
    mismatches: dict[str, tuple[int | None, int | None]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.restored and not self.mismatches


def manifest_path(backup_file: Path) -> Path:
    return backup_file.with_name(backup_file.name + MANIFEST_SUFFIX)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def default_filename(engine: Engine, clock: Clock) -> str:
    suffix = "sqlite3" if engine.dialect.name == "sqlite" else "dump"
    return f"rapport-{clock.now():%Y%m%d-%H%M%S}.{suffix}"


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def table_names(connection: Connection) -> list[str]:
    return sorted(inspect(connection).get_table_names())


def row_counts(connection: Connection) -> dict[str, int]:
    """Rows per table, as this connection's transaction sees them."""
    return {
        name: connection.execute(
            text(f"SELECT count(*) FROM {_quote(connection, name)}")  # noqa: S608 (catalogue names)
        ).scalar_one()
        for name in table_names(connection)
    }


def has_data(engine: Engine) -> bool:
    """True when any model table holds a row, other than what the migrations seed (the default
    lifecycle stages): a freshly migrated database is empty. Alembic's bookkeeping and the
    search index's shadow tables are not data."""
    with engine.connect() as connection:
        present = set(table_names(connection))
        for table in Base.metadata.sorted_tables:
            if table.name not in present:
                continue
            if table.name == LifecycleStage.__tablename__ and _only_default_stages(connection):
                continue
            if connection.execute(select(table).limit(1)).first() is not None:
                return True
    return False


def _only_default_stages(connection: Connection) -> bool:
    rows = connection.execute(select(LifecycleStage.key, LifecycleStage.name)).all()
    return {tuple(row) for row in rows} <= set(DEFAULT_STAGES)


# ---------------------------------------------------------------- create


def create_backup(engine: Engine, target: Path, *, clock: Clock) -> Manifest:
    """Write a consistent snapshot of `engine`'s database to `target` plus its manifest."""
    target = Path(target)
    if target.exists():
        raise BackupError(f"{target} exists already; choose another file name.")
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        counts = _create_sqlite(engine, target)
    elif engine.dialect.name == "postgresql":
        counts = _create_postgresql(engine, target)
    else:
        raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")
    manifest = Manifest(
        database=engine.dialect.name,
        created_at=clock.now().isoformat(),
        sha256=sha256_of(target),
        row_counts=counts,
    )
    manifest.write(target)
    return manifest


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("Only a file-based SQLite database can be backed up.")
    return database


def _create_sqlite(engine: Engine, target: Path) -> dict[str, int]:
    source = sqlite3.connect(_sqlite_file(engine), timeout=30)
    destination = sqlite3.connect(target)
    try:
        source.backup(destination)  # a page-by-page copy that restarts if a writer interferes
    finally:
        destination.close()
        source.close()
    # Count in the copy itself: it is the snapshot, whatever the live database did meanwhile.
    snapshot = create_engine(f"sqlite:///{target}")
    try:
        with snapshot.connect() as connection:
            return row_counts(connection)
    finally:
        snapshot.dispose()


def _pg_command(url: URL) -> tuple[list[str], dict[str, str]]:
    """Connection arguments and environment (the password never goes on a command line)."""
    args = ["--host", url.host or "localhost", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    args += ["--dbname", url.database or ""]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return args, env


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return path


def _create_postgresql(engine: Engine, target: Path) -> dict[str, int]:
    args, env = _pg_command(engine.url)
    repeatable = engine.execution_options(isolation_level="REPEATABLE READ")
    with repeatable.connect() as connection, connection.begin():
        snapshot_id = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        counts = row_counts(connection)
        # pg_dump sees the very snapshot we counted in, while this transaction stays open.
        result = subprocess.run(  # noqa: S603 (fixed program, our own arguments)
            [_tool("pg_dump"), "-Fc", "--snapshot", snapshot_id, "--file", str(target), *args],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    return counts


# ---------------------------------------------------------------- restore


def verify_file(backup_file: Path) -> Manifest:
    """The manifest of `backup_file`, after checking that the file is the one it describes."""
    backup_file = Path(backup_file)
    if not backup_file.exists():
        raise BackupError(f"No such file: {backup_file}")
    manifest = Manifest.read(backup_file)
    actual = sha256_of(backup_file)
    if actual != manifest.sha256:
        raise BackupError(
            f"Checksum mismatch for {backup_file}: the manifest says {manifest.sha256}, the file "
            f"has {actual}. The file is damaged or not the one that was backed up; "
            "nothing was restored."
        )
    return manifest


def restore_backup(engine: Engine, backup_file: Path, *, force: bool = False) -> RestoreReport:
    """Replace `engine`'s database with `backup_file`, then compare its row counts with the
    manifest. Refuses a damaged file, a backup of another database kind, and (without
    `force`) a target that holds data."""
    backup_file = Path(backup_file)
    manifest = verify_file(backup_file)
    if manifest.database != engine.dialect.name:
        raise BackupError(
            f"{backup_file} is a {manifest.database} backup; this database is "
            f"{engine.dialect.name}."
        )
    if not force and has_data(engine):
        raise BackupError(
            "The database holds data; restoring would overwrite it. "
            "Run again with --force to replace it."
        )
    engine.dispose()  # no pooled connection may hold locks or stale pages across the restore
    if engine.dialect.name == "sqlite":
        _restore_sqlite(engine, backup_file)
    else:
        _restore_postgresql(engine, backup_file)
    engine.dispose()
    with engine.connect() as connection:
        actual = row_counts(connection)
    expected = manifest.row_counts
    mismatches = {
        name: (expected.get(name), actual.get(name))
        for name in sorted(set(expected) | set(actual))
        if expected.get(name) != actual.get(name)
    }
    return RestoreReport(restored=True, mismatches=mismatches)


def _restore_sqlite(engine: Engine, backup_file: Path) -> None:
    source = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    destination = sqlite3.connect(_sqlite_file(engine), timeout=30)
    try:
        source.backup(destination)  # replaces every page of the destination in one go
    finally:
        destination.close()
        source.close()


def _restore_postgresql(engine: Engine, backup_file: Path) -> None:
    args, env = _pg_command(engine.url)
    result = subprocess.run(  # noqa: S603 (fixed program, our own arguments)
        [
            _tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",  # all or nothing: a failed restore leaves the old data
            *args,
            str(backup_file),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed; nothing was changed: {result.stderr.strip()}")


def describe(manifest: Manifest) -> dict[str, Any]:
    return {"tables": len(manifest.row_counts), "rows": sum(manifest.row_counts.values())}
