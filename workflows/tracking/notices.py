"""The emails timers cause: reminders, follow-ups and auto-resolve/close notices. Each is an
outbox row keyed by its timer, so it is written and sent once (DESIGN.md §6). The customer's
notices join the requirement's email thread (requirement_threads), so their answers find it."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Customer, Requirement, Team, Timer, User
from workflows.platform import i18n, outbox
from workflows.tracking import requirement_threads, sla_notices, workflow_words

# kind -> who receives it; the text is workflows/tracking/templates/notices/<kind>.txt, in the
# recipient's language (sla_notices.render)
NOTICES = {
    "customer_reminder_1": "customer",
    "customer_reminder_2": "customer",
    "auto_resolve": "customer",
    "auto_close": "customer",
    "follow_up": "assignee",
}


def timer_email(session: Session, requirement: Requirement, timer: Timer) -> outbox.Email | None:
    """The notice `timer` sends, if its kind has one and the recipient has an address, in the
    recipient's language and time zone. Reads only (the batch's rows are usually in the
    identity map already); writes nothing."""
    recipient = NOTICES.get(timer.kind)
    if recipient is None:
        return None
    customer = session.get(Customer, requirement.customer_id)
    context: dict[str, Any] = {"requirement": requirement, "customer": customer}
    if recipient == "customer":
        if customer is None or not customer.primary_email:
            return None
        address, language, zone = customer.primary_email, customer.language, customer.time_zone
        team = session.get(Team, requirement.team_id) if requirement.team_id else None
        context["team_name"] = team.name if team else "Rapport"
        context["auto_resolve_at"] = sla_notices.local_time(
            _auto_resolve_at(session, requirement), zone or "UTC"
        )
    else:
        assignee = session.get(User, requirement.assignee_id) if requirement.assignee_id else None
        if assignee is None or not assignee.is_active:
            return None
        address, language, zone = assignee.email, assignee.language, assignee.time_zone
        context["recipient"] = assignee
    locale = i18n.catalogue_locale(language) or i18n.DEFAULT_LOCALE
    context["state"] = workflow_words.state_label(requirement.state, requirement.workflow, locale)
    subject, body = sla_notices.render(timer.kind, locale, context)
    thread = None
    if recipient == "customer":
        earlier = session.info.get(THREAD_KEY, {}).get(requirement.id)
        thread = requirement_threads.headers(session, requirement.id, earlier=earlier)
    return outbox.Email(
        idempotency_key=f"timer:{timer.id}",
        cause=f"timer:{timer.kind}:requirement:{requirement.id}",
        to_address=address,
        subject=subject[:300],
        body_text=body,
        headers=outbox.automatic(thread),  # so no out-of-office answers it (RFC 3834)
    )


AUTO_RESOLVE_KEY = "rapport.notices.auto_resolve_at"
THREAD_KEY = "rapport.notices.thread"


@contextmanager
def batch(session: Session, timers: Iterable[Timer]) -> Iterator[None]:
    """Within the block, the customer notices of `timers` look up their auto-resolve time and
    their thread's Message-IDs in what two queries fetched up front, instead of two queries
    per notice."""
    requirements = [
        session.get(Requirement, t.requirement_id)
        for t in timers
        if NOTICES.get(t.kind) == "customer"
    ]
    states = {r.id: r.state_seq for r in requirements if r is not None}
    if states:
        rows = session.execute(
            select(Timer.requirement_id, Timer.state_seq, Timer.due_at).where(
                Timer.requirement_id.in_(states), Timer.kind == "auto_resolve"
            )
        )
        due = {(requirement_id, seq): at for requirement_id, seq, at in rows}
        session.info[AUTO_RESOLVE_KEY] = {i: (seq, due.get((i, seq))) for i, seq in states.items()}
        session.info[THREAD_KEY] = requirement_threads.earlier_messages(session, states)
    try:
        yield
    finally:
        session.info.pop(AUTO_RESOLVE_KEY, None)
        session.info.pop(THREAD_KEY, None)


def _auto_resolve_at(session: Session, requirement: Requirement) -> datetime | None:
    seq, due = session.info.get(AUTO_RESOLVE_KEY, {}).get(requirement.id, (None, None))
    if seq == requirement.state_seq:  # not moved on since `batch` looked
        return due
    return session.scalar(
        select(Timer.due_at).where(
            Timer.requirement_id == requirement.id,
            Timer.kind == "auto_resolve",
            Timer.state_seq == requirement.state_seq,
        )
    )
