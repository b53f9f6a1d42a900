"""`flask backup create [FILE]` and `flask backup restore FILE [--force]`."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from web.clocks import current_clock
from web.extensions import db
from workflows.platform import backup

backup_cli = AppGroup("backup", help="Consistent database backups and verified restores.")


@backup_cli.command("create")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
def create(file: Path | None) -> None:
    """Write a snapshot to FILE (default: instance/backups/rapport-<time>.*) and a manifest."""
    engine = db.engine
    if file is None:
        folder = Path(current_app.config["INSTANCE_PATH"]) / "backups"
        file = folder / backup.default_filename(engine, current_clock())
    try:
        manifest = backup.create_backup(engine, file, clock=current_clock())
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    summary = backup.describe(manifest)
    click.echo(f"Backup written: {file}")
    click.echo(f"Manifest: {backup.manifest_path(file)}")
    click.echo(f"{summary['tables']} tables, {summary['rows']} rows, sha256 {manifest.sha256}")


@backup_cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite a database that holds data.")
def restore(file: Path, force: bool) -> None:
    """Restore FILE into the configured database, then verify it against its manifest."""
    db.session.remove()
    try:
        report = backup.restore_backup(db.engine, file, force=force)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = backup.Manifest.read(file)
    if not report.ok:
        for table, (expected, actual) in report.mismatches.items():
            click.echo(f"  {table}: expected {expected} rows, found {actual}", err=True)
        raise click.ClickException("Restored, but the row counts differ from the manifest.")
    summary = backup.describe(manifest)
    click.echo(f"Checksum OK (sha256 {manifest.sha256}).")
    click.echo(
        f"Restored {file}: {summary['tables']} tables, {summary['rows']} rows; "
        "every row count matches the manifest."
    )


def register(app: Flask) -> None:
    app.cli.add_command(backup_cli)
