"""Emails about SLA clocks and follow-ups, rendered from Jinja templates in the recipient's
language and time zone (`workflows/tracking/templates/notices/<kind>.txt`, first line
`Subject: …`; their sentences are gettext msgids, translated with the recipient's catalogue:
translations/, including a German one for these notices), written to the outbox once per timer
and recipient (DESIGN.md §6).

Quiet hours: warnings and follow-up reminders that fall in the calendar's quiet hours are held
until the next opening after them. Breach and escalation notices go out at once — a breach is
exactly when whoever is on duty must hear of it — and so do their actions.
"""

import zoneinfo
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from models import (
    Customer,
    Requirement,
    Role,
    SlaClock,
    SlaPolicyVersion,
    TeamMembership,
    Timer,
    User,
)
from workflows.platform import i18n, outbox
from workflows.platform.clock import Clock
from workflows.tracking import calendars, workflow_words
from workflows.tracking.notification_preferences import NOTICE_EVENTS, wants_email

HELD_IN_QUIET_HOURS = frozenset({"warning", "follow_up"})
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates" / "notices"),
    undefined=StrictUndefined,
    autoescape=False,  # plain-text email bodies  # noqa: S701
    keep_trailing_newline=True,
    auto_reload=False,  # templates ship with the code: no disk check per render
    extensions=["jinja2.ext.i18n"],
)
# `_()`/`gettext` come with each render (the recipient's catalogue), never as shared globals:
# two threads may render for two languages at once.
_templates.newstyle_gettext = True  # type: ignore[attr-defined]


def recipients(session: Session, requirement: Requirement, wanted: list[str]) -> list[User]:
    """Active users for recipient specs; an unassigned requirement's assignee notices go to
    its team's supervisors, and with no team to every supervisor (someone must hear)."""
    found: dict[int, User] = {}

    def add(users: list[User]) -> None:
        for user in users:
            if user is not None and user.is_active:
                found.setdefault(user.id, user)

    for spec in wanted:
        kind, _, argument = spec.partition(":")
        if kind == "assignee":
            assignee = (
                session.get(User, requirement.assignee_id) if requirement.assignee_id else None
            )
            if assignee is not None and assignee.is_active:
                add([assignee])
            else:
                add(_supervisors(session, requirement))
        elif kind == "team_supervisors":
            add(_supervisors(session, requirement))
        elif kind == "role":
            add(list(session.scalars(select(User).where(User.role == Role(argument)))))
        elif kind == "user":
            add([session.get(User, int(argument))])
    return list(found.values())


def _supervisors(session: Session, requirement: Requirement) -> list[User]:
    if requirement.team_id is not None:
        team_supervisors = list(
            session.scalars(
                select(User)
                .join(TeamMembership, TeamMembership.user_id == User.id)
                .where(
                    TeamMembership.team_id == requirement.team_id,
                    TeamMembership.is_supervisor.is_(True),
                )
            )
        )
        if team_supervisors:
            return team_supervisors
    return list(
        session.scalars(
            select(User).where(User.role.in_([Role.SUPERVISOR, Role.ADMIN])).order_by(User.id)
        )
    )


def render(kind: str, language: str | None, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notice in `language` (a tag: `zh-CN`, `de`, `en`), English where
    there is no catalogue for it."""
    words = i18n.translator(language)

    def gettext(message: str, **variables: Any) -> str:
        text = words.gettext(message)
        return text % variables if variables else text

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
        return words.ngettext(singular, plural, n) % {"num": n, **variables}

    template = _templates.get_template(f"{kind}.txt")
    rendered = template.render(**context, gettext=gettext, ngettext=ngettext)
    first, _, body = rendered.partition("\n")
    return first.removeprefix("Subject:").strip(), body.lstrip("\n")


def staff_locale(user: User) -> str:
    """The catalogue a staff member's email is written in: their language, else English (an
    email has no browser to ask). Never None: None would mean the web request's language."""
    return i18n.catalogue_locale(user.language) or i18n.DEFAULT_LOCALE


def local_time(instant: datetime | None, zone_name: str) -> str:
    """An instant as the recipient reads it: their zone, with its abbreviation."""
    if instant is None:
        return "—"
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        zone = zoneinfo.ZoneInfo("UTC")
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S %Z")


def notify(
    session: Session,
    requirement: Requirement,
    sla: SlaClock | None,
    kind: str,
    wanted: list[str],
    *,
    timer: Timer,
    version: SlaPolicyVersion | None,
    clock: Clock,
    rung: int | None = None,
) -> int:
    """Write one outbox email per recipient, keyed by timer and recipient; returns how many.
    A recipient who turned off email for the notice's event (at risk, breached, escalated)
    is skipped: the in-app notification is the caller's (`notifications.on_notice`)."""
    customer = session.get(Customer, requirement.customer_id)
    assignee = session.get(User, requirement.assignee_id) if requirement.assignee_id else None
    held_until = None
    if kind in HELD_IN_QUIET_HOURS and version is not None:
        held_until = calendars.quiet_until(version.calendar, clock.now())
    written = 0
    event = NOTICE_EVENTS.get(kind)
    for user in recipients(session, requirement, wanted):
        if event is not None and not wants_email(session, user, event):
            continue
        locale = staff_locale(user)
        context = {
            "recipient": user,
            "requirement": requirement,
            "customer": customer,
            "assignee": assignee,
            "state": workflow_words.state_label(requirement.state, requirement.workflow, locale),
            "priority": workflow_words.priority_label(requirement.priority, locale),
            "metric": workflow_words.metric_label(str(sla.metric), locale) if sla else "",
            "due": local_time(sla.due_at if sla else None, user.time_zone),
            "rung": rung,
        }
        subject, body = render(kind, locale, context)
        message = outbox.enqueue_email(
            session,
            idempotency_key=f"timer:{timer.id}:user:{user.id}",
            cause=f"timer:{timer.kind}:requirement:{requirement.id}",
            to_address=user.email,
            subject=subject[:300],
            body_text=body,
            headers=outbox.automatic(),  # so no out-of-office answers it (RFC 3834)
            clock=clock,
        )
        if held_until is not None and held_until > message.next_attempt_at:
            # The send published after commit finds it not yet due; the outbox sweep sends it.
            message.next_attempt_at = held_until
        written += 1
    session.flush()
    return written
