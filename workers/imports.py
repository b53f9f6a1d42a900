"""Tasks of the `default` queue for CSV imports: the import and its dry run."""

from celery import shared_task
from flask import current_app

from web.clocks import current_clock
from web.database import READ_ONLY
from web.extensions import db
from workflows.customers import import_checks, imports


@shared_task(name="imports.run", acks_late=True, ignore_result=True)
def run(job_id: int) -> None:
    """Run import job `job_id` to the end, committing after every piece (see imports.step).
    A redelivered task resumes from the committed progress; a finished job is left alone.
    The file is parsed once, in a read that takes no SQLite write lock: each piece then holds
    the lock only for its own batch of rows."""
    clock = current_clock()
    db.session.connection(execution_options=READ_ONLY)
    parsed = imports.read_file(db.session, job_id)
    db.session.rollback()
    if parsed is None:
        return
    region = current_app.config.get("PHONE_REGION")
    while imports.step(db.session, job_id, clock=clock, parsed=parsed, default_region=region):
        db.session.commit()
    db.session.commit()


@shared_task(name=import_checks.DRY_RUN_TASK, acks_late=True, ignore_result=True)
def dry_run(job_id: int, run: int) -> None:
    """Dry-run import job `job_id` (request number `run`) chunk by chunk. The checks read in a
    deferred transaction (no SQLite write lock, whatever SQLITE_IMMEDIATE says); each chunk's
    results are then recorded in a transaction of a few milliseconds, so the clock's timers
    never wait for more than that. A redelivered task resumes from the recorded progress."""
    clock = current_clock()
    db.session.connection(execution_options=READ_ONLY)
    checked = import_checks.load(db.session, job_id, run)
    db.session.rollback()
    if checked is None:
        return
    while True:
        if not checked.finished:
            db.session.connection(execution_options=READ_ONLY)
            import_checks.check_chunk(
                db.session,
                checked,
                clock=clock,
                default_region=current_app.config.get("PHONE_REGION"),
            )
            db.session.rollback()  # a dry run writes nothing, whatever a look-up touched
        if not import_checks.record(db.session, checked):
            db.session.rollback()  # the import started, or a newer dry run replaced this one
            return
        db.session.commit()
        if checked.finished:
            return
