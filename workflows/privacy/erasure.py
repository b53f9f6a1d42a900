"""Erasing a customer (the right to erasure): anonymise their personal data in place, keep the
figures aggregates need, and certify what was done. A worker runs the job step by step, one
transaction per step, so progress shows and a crash resumes where it stopped.

Steps: each registered section's eraser (profile and consents, communications, transactions,
requirements and events, their audit entries), the outbox, staff notifications, then every
other table searched for the customer's email addresses and phone numbers, then the search
index. Refused while a legal hold is set, when the job is requested and again when it starts."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.orm import Session

from models import Customer, ErasureJob, Notification, OutboxMessage, OutboxStatus, Requirement
from workflows.customers import search_index
from workflows.customers.subject_data import subject_of
from workflows.platform import audit
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.platform.publishing import publish_after_commit
from workflows.platform.subject_data import ERASED, Subject
from workflows.privacy import access_log, scrub
from workflows.privacy.sections import registered

RUN_TASK = "privacy.erase"
COMPACTION_LOOKBACK_DAYS = 7
ACTIVE = ("pending", "running")
# What erasure keeps, for the certificate.
# The certificate keeps these English sentences (a record); pages translate them where shown.
KEPT = (
    N_("transactions: amounts, currencies, kinds, statuses and dates (revenue figures unchanged)"),
    N_("requirements: workflow states, priorities, teams, assignees, times and SLA clocks"),
    N_("communications: channel, direction and time (counts per channel unchanged)"),
    N_("consents: channel, granted or withdrawn, and when (proof of what was allowed)"),
    N_("the customer record's id, stage, owner and organisation, named 'Erased customer <id>'"),
)


class LegalHoldSet(Conflict):
    """A customer under legal hold cannot be erased."""


@dataclass(frozen=True)
class Step:
    """One step of the job: a section's eraser, or (with `table`) the search of one table for
    the contact points, done a bounded chunk per call."""

    name: str
    run: Callable[[Session, Subject, Clock], dict[str, int]] | None = None
    table: str | None = None


def _erase_outbox(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    """Messages to the customer lose address, content and files (pending ones are never sent);
    notices about their requirements lose their content."""
    emails = [e.lower() for e in subject.emails]
    to_customer = session.execute(
        update(OutboxMessage)
        .where(func.lower(OutboxMessage.to_address).in_(emails))
        .values(
            to_address="erased@invalid",
            subject=ERASED,
            body_text=ERASED,
            body_html=None,
            attachments=None,  # the file names are the customer's data too
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    suppressed = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.to_address == "erased@invalid",
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.SUPPRESSED, last_error="recipient erased")
        .execution_options(synchronize_session=False)
    ).rowcount
    requirement_ids = list(
        session.scalars(
            select(Requirement.id).where(Requirement.customer_id.in_(subject.customer_ids))
        )
    )
    notices = 0
    for start in range(0, len(requirement_ids), 200):
        chunk = requirement_ids[start : start + 200]
        notices += session.execute(
            update(OutboxMessage)
            .where(or_(*(OutboxMessage.cause.like(f"%:requirement:{i}") for i in chunk)))
            .values(subject=ERASED, body_text=ERASED, body_html=None)
            .execution_options(synchronize_session=False)
        ).rowcount
    return {"outbox": to_customer + notices, "outbox_suppressed": suppressed}


def _erase_notifications(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    """Staff notifications copy a requirement's title and a note's excerpt as they were then:
    those about the customer's requirements lose both (who was told of what, and when, stays)."""
    requirement_ids = select(Requirement.id).where(
        Requirement.customer_id.in_(subject.customer_ids)
    )
    erased = session.execute(
        update(Notification)
        .where(Notification.requirement_id.in_(requirement_ids))
        .values(title=ERASED, detail=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    return {"notifications": erased}


def _search_step(session: Session, subject: Subject, clock: Clock) -> dict[str, int]:
    for customer_id in subject.customer_ids:
        customer = session.get(Customer, customer_id)
        if customer is not None:
            search_index.refresh(session, customer, clock=clock)
    session.flush()
    # Compacting SQLite's full-text index here would hold the write lock for seconds (5.5 s at
    # 20,000 customers, see bench/README.md); `compact_after_erasures` does it hourly instead.
    return {"customer_search_documents": len(subject.customer_ids)}


def compact_after_erasures(session: Session, *, clock: Clock) -> int:
    """Compact the search index once if erasures finished since the last compaction, so the
    erased documents' old index entries are gone, not just shadowed. Returns how many jobs
    it covered (0: nothing to do)."""
    recent = session.scalars(
        select(ErasureJob).where(
            ErasureJob.status == "done",
            ErasureJob.finished_at >= clock.now() - timedelta(days=COMPACTION_LOOKBACK_DAYS),
        )
    ).all()
    waiting = [job for job in recent if not (job.certificate or {}).get("index_compacted_at")]
    if not waiting:
        return 0
    search_index.compact(session)
    for job in waiting:
        job.certificate = {**job.certificate, "index_compacted_at": clock.now().isoformat()}
    session.flush()
    return len(waiting)


def steps() -> list[Step]:
    """The same list in every process: registry order, then the outbox, tables, search."""
    out = [Step(s.name, run=s.erase) for s in registered() if s.erase is not None]
    out.append(Step("outbox", run=_erase_outbox))
    out.append(Step("notifications", run=_erase_notifications))
    out += [Step(f"everywhere:{t.name}", table=t.name) for t in scrub.tables()]
    out.append(Step("search_index", run=_search_step))
    return out


# ---------------------------------------------------------------- legal hold


def set_legal_hold(
    session: Session, customer: Customer, reason: str, *, actor_id: int | None, clock: Clock
) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed.field(
            "reason", Message(N_("Say why the customer's data must be kept."))
        )
    before = {
        "legal_hold_at": customer.legal_hold_at,
        "legal_hold_reason": customer.legal_hold_reason,
    }
    customer.legal_hold_at = clock.now()
    customer.legal_hold_reason = reason[:2000]
    _audit_hold(session, customer, before, actor_id=actor_id, clock=clock)


def lift_legal_hold(
    session: Session, customer: Customer, *, actor_id: int | None, clock: Clock
) -> None:
    before = {
        "legal_hold_at": customer.legal_hold_at,
        "legal_hold_reason": customer.legal_hold_reason,
    }
    customer.legal_hold_at = None
    customer.legal_hold_reason = None
    _audit_hold(session, customer, before, actor_id=actor_id, clock=clock)


def _hold(customer: Customer) -> dict[str, Any]:
    return {
        "legal_hold_at": customer.legal_hold_at,
        "legal_hold_reason": customer.legal_hold_reason,
    }


def _audit_hold(
    session: Session,
    customer: Customer,
    before: dict[str, Any],
    *,
    actor_id: int | None,
    clock: Clock,
) -> None:
    after = {
        "legal_hold_at": customer.legal_hold_at,
        "legal_hold_reason": customer.legal_hold_reason,
    }
    audit.record(
        session,
        action="legal_hold",
        entity_type="customer",
        entity_id=customer.id,
        actor_id=actor_id,
        clock=clock,
        changes=audit.diff(before, after),
    )
    session.flush()


# ---------------------------------------------------------------- the job


def request_erasure(
    session: Session, customer: Customer, *, actor_id: int | None, clock: Clock
) -> ErasureJob:
    """Queue the erasure (the worker starts after commit); an active job is returned as is."""
    if customer.legal_hold_at is not None:
        raise LegalHoldSet(
            Message(N_("This customer is under a legal hold; lift it before erasing."))
        )
    active = session.scalar(
        select(ErasureJob).where(
            ErasureJob.customer_id == customer.id, ErasureJob.status.in_(ACTIVE)
        )
    )
    if active is not None:
        if active.status == "pending":  # never started, or a step failed: run it again
            publish_after_commit(session, RUN_TASK, active.id)
        return active
    job = ErasureJob(
        customer_id=customer.id,
        requested_by_id=actor_id,
        status="pending",
        steps_done=0,
        steps_total=len(steps()),
        certificate={},
        created_at=clock.now(),
    )
    session.add(job)
    session.flush()
    publish_after_commit(session, RUN_TASK, job.id)
    return job


def step(session: Session, job_id: int, *, clock: Clock, blobs: Any = None) -> bool:
    """Do the next step of job `job_id`; True while more remains. The caller commits after
    every call. A redelivered task resumes from the committed `steps_done`. `blobs`, the
    attachment BlobStore, lets the attachments step delete the customer's files."""
    # Claim with an UPDATE first: on PostgreSQL the row lock, on SQLite the write lock, makes a
    # second runner wait for the first one's commit and then see its progress.
    claimed = session.execute(
        update(ErasureJob)
        .where(ErasureJob.id == job_id, ErasureJob.status.in_(ACTIVE))
        .values(status="running")
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        return False
    job = session.get(ErasureJob, job_id, populate_existing=True)
    assert job is not None  # noqa: S101 - the UPDATE just found it
    customer = session.get(Customer, job.customer_id)
    if customer is None or customer.legal_hold_at is not None:
        job.status = "refused"
        job.last_error = "legal hold" if customer is not None else "no such customer"
        job.finished_at = clock.now()
        session.flush()
        return False
    if session.get_bind().dialect.name == "sqlite":
        # Freed space is zeroed, so a later backup (a page-by-page copy) holds no old values.
        session.execute(text("PRAGMA secure_delete=ON"))
    certificate = dict(job.certificate or {})
    if "pending" not in certificate:
        # The contact points are needed until the last step (the profile step deletes them);
        # kept here while running and removed when done.
        subject = subject_of(session, customer.id)
        certificate = {
            "customer_id": customer.id,
            "merged_customer_ids": [i for i in subject.customer_ids if i != customer.id],
            "requested_by_id": job.requested_by_id,
            "requested_at": job.created_at.isoformat(),
            "started_at": clock.now().isoformat(),
            "contact_points": {"emails": len(subject.emails), "phones": len(subject.phones)},
            "steps": {},
            "kept": list(KEPT),
            "pending": {
                "ids": list(subject.customer_ids),
                "emails": list(subject.emails),
                "phones": list(subject.phones),
            },
        }
    pending = certificate["pending"]
    subject = Subject(
        customer.id,
        tuple(pending["ids"]),
        tuple(pending["emails"]),
        tuple(pending["phones"]),
        blobs=blobs,
    )
    plan = steps()
    current = plan[job.steps_done]
    if current.table is not None:
        table = next(t for t in scrub.tables() if t.name == current.table)
        changed, cursor = scrub.scrub_chunk(
            session, table, subject.identifiers, pending.get("cursor")
        )
        counts = dict(certificate["steps"].get(current.name, {}))
        if changed:
            counts[current.table] = counts.get(current.table, 0) + changed
        certificate["steps"] = {**certificate["steps"], current.name: counts}
        certificate["pending"] = {**pending, "cursor": cursor}
        finished_step = cursor is None
    else:
        result = current.run(session, subject, clock)  # type: ignore[misc]
        certificate["steps"] = {**certificate["steps"], current.name: result}
        finished_step = True
    if finished_step:
        job.steps_done += 1
    job.steps_total = len(plan)
    if job.steps_done >= len(plan):
        certificate.pop("pending")
        certificate["finished_at"] = clock.now().isoformat()
        certificate["rows_changed"] = sum(
            n for counts in certificate["steps"].values() for n in counts.values()
        )
        job.status = "done"
        job.finished_at = clock.now()
        access_log.record(
            session,
            user_id=job.requested_by_id,
            customer_id=customer.id,
            action="erase",
            via="worker",
            clock=clock,
            detail=f"erasure job {job.id}",
        )
    job.certificate = certificate
    session.flush()
    return job.status == "running"


def fail(session: Session, job_id: int, error: BaseException, *, clock: Clock) -> None:
    """Record a failed step (its own transaction, after the step's rollback); the job stays
    resumable: requesting erasure again continues from the last committed step."""
    job = session.get(ErasureJob, job_id)
    if job is None:
        return
    identifiers = tuple((job.certificate or {}).get("pending", {}).get("emails", []))
    message = f"{type(error).__name__}: {error}"[:1000]
    job.last_error = scrub.scrub_text(message, tuple(identifiers)) if identifiers else message
    job.status = "pending"
    session.flush()


def progress(job: ErasureJob) -> dict[str, Any]:
    plan = steps()
    current = (
        plan[job.steps_done].name
        if job.status == "running" and job.steps_done < len(plan)
        else None
    )
    certificate = {k: v for k, v in (job.certificate or {}).items() if k != "pending"}
    return {
        "id": job.id,
        "customer_id": job.customer_id,
        "status": job.status,
        "steps_done": job.steps_done,
        "steps_total": job.steps_total,
        "step": current,
        "certificate": certificate if job.status == "done" else None,
        "error": job.last_error,
    }
