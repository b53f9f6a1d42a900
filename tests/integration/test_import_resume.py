"""An import that crashes part-way leaves nothing half-imported and resumes where it stopped:
`imports.step` pieces driven in-process, with a rollback standing in for the crash."""

from typing import Any

from flask import Flask
from sqlalchemy import func, select

from models import Customer, ImportJob, Role
from tests.conftest import login
from web.extensions import db
from workflows.customers import import_checks, imports, profiles
from workflows.platform.clock import SystemClock
from workflows.platform.publishing import take_pending

clock = SystemClock()
MAPPING = {"Name": "name", "Email": "emails"}


def make_job(mode: str, rows: int = 250, bad: tuple[int, ...] = ()) -> int:
    lines = ["Name,Email"]
    for number in range(2, rows + 2):
        email = "broken" if number in bad else f"p{number}@example.com"
        lines.append(f"Person {number},{email}")
    job = imports.create_job(
        db.session, filename="people.csv", content="\n".join(lines), created_by_id=None, clock=clock
    )
    imports.configure(db.session, job, MAPPING, mode)
    imports.start(db.session, job)
    take_pending(db.session)  # no worker: this test drives the steps itself
    db.session.commit()
    return job.id


def live_customers() -> int:
    return db.session.scalar(
        select(func.count()).select_from(Customer).where(Customer.deleted_at.is_(None))
    )


def run_to_end(job_id: int) -> ImportJob:
    while imports.step(db.session, job_id, clock=clock, batch_size=100):
        db.session.commit()
    db.session.commit()
    return db.session.get(ImportJob, job_id)


def crash_during_next_step(job_id: int) -> None:
    imports.step(db.session, job_id, clock=clock, batch_size=100)
    db.session.rollback()  # the worker died before its commit


def test_skip_mode_resumes_after_a_crash_without_duplicates(in_app: Flask) -> None:
    job_id = make_job("skip_bad_rows", bad=(7, 180))
    assert imports.step(db.session, job_id, clock=clock, batch_size=100)
    db.session.commit()
    assert live_customers() == 99  # the first batch (row 7 is bad)

    crash_during_next_step(job_id)
    assert live_customers() == 99  # the crashed batch left nothing behind
    assert db.session.get(ImportJob, job_id).processed_rows == 100

    job = run_to_end(job_id)
    assert (job.status, job.processed_rows, job.imported_rows) == ("done", 250, 248)
    assert imports.bad_rows(job.errors) == [7, 180]
    assert live_customers() == 248
    emails = list(db.session.scalars(select(Customer.primary_email)))
    assert len(emails) == len(set(emails)) == 248


def test_all_or_nothing_crash_in_the_write_writes_nothing_then_resumes(in_app: Flask) -> None:
    job_id = make_job("all_or_nothing")
    for _ in range(3):  # validate 100 + 100 + 50 rows, committing progress only
        assert imports.step(db.session, job_id, clock=clock, batch_size=100)
        db.session.commit()
    assert db.session.get(ImportJob, job_id).processed_rows == 250
    assert live_customers() == 0

    crash_during_next_step(job_id)  # the one transaction that writes every row
    assert live_customers() == 0

    job = run_to_end(job_id)
    assert (job.status, job.imported_rows) == ("done", 250)
    assert live_customers() == 250


def test_a_finished_job_is_left_alone(in_app: Flask) -> None:
    job_id = make_job("skip_bad_rows", rows=10)
    run_to_end(job_id)
    assert imports.step(db.session, job_id, clock=clock) is False  # a duplicate delivery
    db.session.commit()
    assert live_customers() == 10


def test_an_export_imports_back_field_for_field(in_app: Flask, make_user: Any) -> None:
    owner = make_user(Role.AGENT)
    client = in_app.test_client()
    login(client, owner.email)
    for n in range(3):
        profiles.create_customer(
            db.session,
            {
                "name": f"Round Trip {n}",
                "emails": f"rt{n}@example.com, other{n}@example.com",
                "phones": "+49 151 2345678" + str(n),
                "tags": "vip, north",
                "city": "Lisbon",
                "country": "PT",
                "owner_id": owner.id,
            },
            actor_id=None,
            clock=clock,
        )
    db.session.commit()
    before = {c.name: profiles.snapshot(c) for c in db.session.scalars(select(Customer))}
    content = client.get("/customers/export.csv").get_data(as_text=True)
    for customer in db.session.scalars(select(Customer)):
        profiles.delete_customer(db.session, customer, actor_id=None, clock=clock)
    db.session.commit()

    job = imports.create_job(
        db.session, filename="export.csv", content=content, created_by_id=None, clock=clock
    )
    import_checks.request(db.session, job, clock=clock)
    take_pending(db.session)
    checked = import_checks.load(db.session, job.id, job.dry_run["run"])
    while not checked.finished:
        import_checks.check_chunk(db.session, checked, clock=clock, size=2)
    assert (checked.state["total"], checked.state["creates"], checked.state["errors"]) == (3, 3, [])
    imports.start(db.session, job)
    take_pending(db.session)
    db.session.commit()
    job = run_to_end(job.id)

    assert (job.status, job.imported_rows) == ("done", 3)
    live = db.session.scalars(select(Customer).where(Customer.deleted_at.is_(None))).all()
    assert {c.name: profiles.snapshot(c) for c in live} == before


def test_the_worker_parses_the_file_once_not_in_every_batch(
    in_app: Flask, monkeypatch: Any
) -> None:
    """Each batch is one write transaction: parsing a 20 MB file inside every one of them held
    SQLite's write lock for seconds per batch and stalled the clock's timers."""
    from workers import imports as import_tasks

    job_id = make_job("skip_bad_rows", rows=450, bad=(9,))  # three batches of 200
    real_parse = imports.parse
    parses: list[int] = []

    def counting_parse(content: str) -> Any:
        parses.append(len(content))
        return real_parse(content)

    monkeypatch.setattr(imports, "parse", counting_parse)
    # The task's own clock may be an earlier e2e deployment's offset clock (kept in Redis).
    monkeypatch.setattr(import_tasks, "current_clock", lambda: clock)
    import_tasks.run(job_id)
    job = db.session.get(ImportJob, job_id)
    assert (job.status, job.imported_rows, job.processed_rows) == ("done", 449, 450)
    assert len(parses) == 1
