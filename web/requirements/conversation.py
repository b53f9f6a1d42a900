"""What the requirement page's conversation needs: the thread with delivery status, the
composer's values and errors, the canned responses filled in for this requirement, and the
"send and …" triggers allowed now."""

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from models import Customer, Requirement, User
from web.requirements import queries
from workflows.channels import canned, threads
from workflows.platform.errors import ValidationFailed
from workflows.tracking import requirement_threads, requirements

# Triggers the composer offers beside "Send" (their labels are in the template).
SEND_AND = ("ask_customer", "resolve")


def canned_choices(
    session: Session, requirement: Requirement, user: User, memberships: Mapping[int, bool]
) -> list[dict[str, Any]]:
    """The user's and their teams' responses, each filled in for this requirement."""
    rows = canned.visible_to(session, user, team_ids=list(memberships))
    if not rows:
        return []
    teams = dict(queries.team_choices(session))  # the page's cached list
    context = canned.context_for(session, requirement, user, teams)
    choices = []
    for row in rows:
        try:
            text = canned.render(row.body, context)
        except ValidationFailed:  # checked when saved; a field emptied since renders blank
            continue
        scope = teams.get(row.team_id, "") if row.team_id is not None else None
        choices.append({"id": row.id, "name": row.name, "team": scope, "text": text})
    return choices


def context(
    session: Session,
    requirement: Requirement,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    mode: str = "reply",
    memberships: Mapping[int, bool],
) -> dict[str, Any]:
    """`memberships`: the user's teams (id -> supervises it), loaded once per request."""
    customer = session.get(Customer, requirement.customer_id)
    allowed = requirements.allowed_triggers(session, requirement, user, memberships)
    definition = requirements.workflow_of(requirement)
    address = (customer.primary_email if customer else None) or ""
    defaults = {"to": address, "body_format": "markdown"}
    return {
        "thread": threads.messages(session, requirement.id),
        "composer_values": {**defaults, **(values or {})},
        "composer_errors": errors or {},
        "composer_mode": mode,
        "reply_subject": requirement_threads.subject(requirement),
        "may_reply": requirements.may_act(session, user, requirement, memberships)
        and requirement.state not in definition.final_states,
        "send_and": [t for t in SEND_AND if t in allowed],
        "canned_choices": canned_choices(session, requirement, user, memberships),
    }
