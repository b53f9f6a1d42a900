"""The dry run of a CSV import: every row checked as the import would check it, writing nothing
but the job's `dry_run` record (progress, counts of rows that would create or update a customer,
every bad row's problems).

A worker runs it (workers/imports.py) in chunks, because a 20 MB file checked in one go held a
web worker for 30 s and, in one transaction, the SQLite write lock that the clock needs to fire
timers. The worker parses the file once, checks a chunk of rows in a read-only transaction, and
records the chunk's results in a short transaction of its own.

`dry_run["run"]` numbers the requests: a new dry run (another mapping) supersedes an earlier
one still in flight, whose task then stops at its next record.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from models import ImportJob
from workflows.customers import imports
from workflows.platform.clock import Clock
from workflows.platform.errors import ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.publishing import publish_after_commit

DRY_RUN_TASK = "imports.dry_run"
# Rows checked per chunk: about a tenth of a second on the 2-core machine, so a chunk's
# transaction is short and the progress bar moves.
CHUNK_SIZE = 500
# A file of bad rows is fixed and uploaded again; a record listing every problem of 200,000
# rows would be rewritten at every chunk. Beyond this many, problems are counted, not listed.
MAX_LISTED_ERRORS = 10_000
FINISHED = ("done", "failed")


def request(session: Session, job: ImportJob, *, clock: Clock) -> None:
    """Queue a dry run of a draft job's saved mapping, replacing any earlier result; the task
    is published after commit."""
    if job.status != "draft":
        raise ValidationFailed.field("job", Message(N_("This import has started already.")))
    run = int((job.dry_run or {}).get("run", 0)) + 1
    job.dry_run = {
        "run": run,
        "status": "pending",
        "total": job.total_rows,
        "processed": 0,
        "creates": 0,
        "updates": 0,
        "bad_rows": 0,
        "errors": [],
        "errors_listed": True,
        "requested_at": clock.now().isoformat(),
    }
    session.flush()
    publish_after_commit(session, DRY_RUN_TASK, job.id, run)


@dataclass
class DryRun:
    """One dry run in a worker's memory: the parsed file and the results so far."""

    job_id: int
    run: int
    created_by_id: int | None
    mapping: dict[str, str]
    header: list[str]
    rows: list[list[str]]
    duplicates: dict[int, str]
    state: dict[str, Any] = field(default_factory=dict)
    # Organisation look-ups by name, kept across chunks: a file names the same few many times.
    organisations: dict[str, int] = field(default_factory=dict)
    missing_organisations: set[str] = field(default_factory=set)

    @property
    def finished(self) -> bool:
        return self.state["status"] in FINISHED


def load(session: Session, job_id: int, run: int) -> DryRun | None:
    """The dry run `run` of job `job_id`, parsed and resuming from its recorded progress; None
    when it is finished or superseded. A file that no longer parses or maps (a custom field
    deleted meanwhile) gives a finished, failed dry run to record."""
    job = session.get(ImportJob, job_id)
    state = dict(job.dry_run or {}) if job is not None else {}
    if job is None or state.get("run") != run or state.get("status") in FINISHED:
        return None
    dry = DryRun(job_id, run, job.created_by_id, dict(job.mapping), [], [], {}, state)
    try:
        dry.header, dry.rows = imports.parse(job.content)
        imports.check_mapping(session, dry.header, dry.mapping)
    except ValidationFailed as exc:
        errors = [
            {"row": None, "field": f, "message": m} for f, ms in exc.errors.items() for m in ms
        ]
        state.update(status="failed", errors=errors)
        return dry
    dry.duplicates = imports.duplicate_email_rows(dry.header, dry.rows, dry.mapping)
    state.update(status="running", total=len(dry.rows))
    return dry


def check_chunk(
    session: Session,
    dry: DryRun,
    *,
    clock: Clock,
    size: int = CHUNK_SIZE,
    default_region: str | None = None,
) -> None:
    """Check the next `size` rows, adding their outcome to `dry.state`. Only reads: the caller
    runs it in a read-only transaction and rolls that back."""
    state = dry.state
    start = state["processed"]
    numbered = [
        (index + 2, imports.row_values(dry.header, dry.rows[index], dry.mapping))
        for index in range(start, min(start + size, len(dry.rows)))
    ]
    ctx = imports.RowContext(session, clock, dry.created_by_id, default_region)
    ctx.organisations, ctx.missing_organisations = dry.organisations, dry.missing_organisations
    ctx.prefetch([values for _, values in numbered])
    errors = list(state["errors"])
    with session.no_autoflush:
        for number, values in numbered:
            found = [e.as_dict() for e in imports.check_row(ctx, number, values)]
            if number in dry.duplicates:
                found.append({"row": number, "field": "emails", "message": dry.duplicates[number]})
            if found:
                state["bad_rows"] += 1
                room = MAX_LISTED_ERRORS - len(errors)
                errors += found[: max(room, 0)]
                state["errors_listed"] = state["errors_listed"] and room >= len(found)
            elif ctx.existing(values) is None:
                state["creates"] += 1
            else:
                state["updates"] += 1
    state["errors"] = errors
    state["processed"] = start + len(numbered)
    if state["processed"] >= len(dry.rows):
        state.update(status="done", finished_at=clock.now().isoformat())


def record(session: Session, dry: DryRun) -> bool:
    """Write `dry.state` to its job (the one row a dry run writes); flushes. False, writing
    nothing, when the job started or a newer dry run replaced this one."""
    job = session.get(ImportJob, dry.job_id, populate_existing=True, with_for_update=True)
    if job is None or job.status != "draft" or (job.dry_run or {}).get("run") != dry.run:
        return False
    job.dry_run = dict(dry.state)  # a new object: the JSON column tracks assignment only
    session.flush()
    return True


def progress(job: ImportJob) -> dict[str, Any] | None:
    """What the mapping page polls while a dry run is under way (errors left out)."""
    if not job.dry_run:
        return None
    return {key: value for key, value in job.dry_run.items() if key != "errors"}


def bad_rows(job: ImportJob) -> Iterator[list[str]]:
    """The bad rows a dry run listed, as cells: the file's header plus `error`, then each bad
    row as uploaded with its problems, to fix in a spreadsheet and upload again."""
    header, rows = imports.parse(job.content)
    problems: dict[int, list[str]] = {}
    for error in (job.dry_run or {}).get("errors", []):
        if error.get("row") is not None:
            # In the downloader's language: a row error keeps its msgid and values.
            message = (
                Message(error["msgid"], **(error.get("values") or {}))
                if error.get("msgid")
                else error["message"]
            )
            problems.setdefault(int(error["row"]), []).append(f"{error['field']}: {message}")
    yield [*header, "error"]
    for number in sorted(problems):
        if 2 <= number < len(rows) + 2:
            yield [*rows[number - 2], "; ".join(problems[number])]
