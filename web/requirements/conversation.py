"""What the requirement page's conversation needs: the thread with delivery status, the
composer's values and errors, the canned responses filled in for this requirement, and the
"send and …" triggers allowed now."""

from typing import Any

from sqlalchemy.orm import Session

from models import Customer, Requirement, Team, User
from workflows.channels import canned, threads
from workflows.platform.errors import ValidationFailed
from workflows.tracking import requirement_threads, requirements

# Triggers the composer offers beside "Send" (their labels are in the template).
SEND_AND = ("ask_customer", "resolve")


def canned_choices(session: Session, requirement: Requirement, user: User) -> list[dict[str, Any]]:
    """The user's and their teams' responses, each filled in for this requirement."""
    context = canned.context_for(session, requirement, user)
    teams: dict[int, str] = {}
    choices = []
    for row in canned.visible_to(session, user):
        try:
            text = canned.render(row.body, context)
        except ValidationFailed:  # checked when saved; a field emptied since renders blank
            continue
        if row.team_id is not None and row.team_id not in teams:
            team = session.get(Team, row.team_id)
            teams[row.team_id] = team.name if team else ""
        scope = teams[row.team_id] if row.team_id is not None else None
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
) -> dict[str, Any]:
    customer = session.get(Customer, requirement.customer_id)
    allowed = requirements.allowed_triggers(session, requirement, user)
    definition = requirements.workflow_of(requirement)
    address = (customer.primary_email if customer else None) or ""
    defaults = {"to": address, "body_format": "markdown"}
    return {
        "thread": threads.messages(session, requirement.id),
        "composer_values": {**defaults, **(values or {})},
        "composer_errors": errors or {},
        "composer_mode": mode,
        "reply_subject": requirement_threads.subject(requirement),
        "may_reply": requirements.may_act(session, user, requirement)
        and requirement.state not in definition.final_states,
        "send_and": [t for t in SEND_AND if t in allowed],
        "canned_choices": canned_choices(session, requirement, user),
    }
