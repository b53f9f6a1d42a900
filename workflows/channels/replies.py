"""An agent's reply to the customer and internal note on a requirement, and "send and set
state": the reply and the trigger in one unit of work.

A reply is an outbound email communication on the customer's timeline, linked to the
requirement (through tracking.conversations, so it meets the first/next-response clock when it
is queued), and one outbox row keyed `reply:<communication id>` whose fixed Message-ID the
communication keeps, with the thread's headers (requirement_threads). Files attached to a
reply go to the blob store and are rows on the communication, and the outbox row names them, so
the sender builds a multipart message with them. A note is an internal
communication and is never sent. Everything flushes, nothing commits: when the trigger of
"send and …" is refused, the caller's rollback takes the reply back with it."""

from typing import Any

from email_validator import EmailNotValidError, validate_email
from sqlalchemy.orm import Session

from models import Communication, Customer, Requirement, User
from workflows.channels import attachments, bodies
from workflows.platform import outbox
from workflows.platform.clock import Clock
from workflows.platform.errors import Conflict, ValidationFailed
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking import conversations, mentions, requirement_threads, requirements

REPLY_FIELDS = ("body", "body_format", "to", "cc", "subject", "then", "resolution_note")
NOTE_FIELDS = ("body", "body_format")
MAX_CC = 20


def _address(raw: Any, field: str, errors: dict[str, list[str]]) -> str | None:
    raw = str(raw).strip()
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        # Translators: the reason is email-validator's English sentence.
        errors.setdefault(field, []).append(
            Message(N_("%(value)s: %(reason)s"), value=raw, reason=str(exc))
        )
        return None


def _addresses(raw: Any, errors: dict[str, list[str]]) -> list[str]:
    if raw in (None, ""):
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.replace(";", ",").split(",") if part.strip()]
    if not isinstance(raw, list | tuple):
        errors["cc"] = [Message(N_("Give a list of email addresses."))]
        return []
    if len(raw) > MAX_CC:
        errors["cc"] = [Message(N_("At most %(count)s addresses."), count=MAX_CC)]
        return []
    found = [_address(item, "cc", errors) for item in raw]
    return list(dict.fromkeys(a for a in found if a))


def _body(data: dict[str, Any], errors: dict[str, list[str]]) -> tuple[str, str] | None:
    body, body_format = data.get("body"), data.get("body_format") or bodies.BodyFormat.MARKDOWN
    if body_format not in set(bodies.BodyFormat):
        errors["body_format"] = [
            Message(N_("Choose one of: %(choices)s."), choices=", ".join(bodies.BodyFormat))
        ]
        return None
    if not isinstance(body, str) or not body.strip():
        errors["body"] = [Message(N_("Write the message."))]
        return None
    if len(body) > bodies.MAX_BODY_CHARS:
        errors["body"] = [
            Message(N_("Use at most %(limit)s characters."), limit=bodies.MAX_BODY_CHARS)
        ]
        return None
    return bodies.render(body, body_format)


def _unknown(data: dict[str, Any], fields: tuple[str, ...], errors: dict[str, list[str]]) -> None:
    for field in sorted(set(data) - set(fields)):
        errors[field] = [Message(N_("Unknown field."))]


def _customer(session: Session, requirement: Requirement) -> Customer:
    customer = session.get(Customer, requirement.customer_id)
    if customer is None:  # the foreign key cascades, so only a race with a purge gets here
        raise Conflict(
            Message(N_("Requirement #%(id)s has no customer any more."), id=requirement.id)
        )
    return customer


def send_reply(
    session: Session,
    requirement: Requirement,
    data: dict[str, Any],
    *,
    actor: User,
    clock: Clock,
    files: attachments.OutgoingFiles | None = None,
) -> Communication:
    """Queue an email to the customer about `requirement` (with `files` attached, checked
    against their limits) and, with `then`, fire that trigger
    (permissions and guards apply: NotPermitted / TransitionRefused, a trigger not allowed now
    before anything is written, a guard's refusal after: the caller rolls back).
    ValidationFailed names each bad field and writes nothing. Flushes only."""
    if not requirements.may_act(session, actor, requirement):
        raise requirements.NotPermitted(
            Message(
                N_(
                    "Only the assignee, a supervisor of the requirement's team or an admin "
                    "may reply."
                )
            )
        )
    definition = requirements.workflow_of(requirement)
    if requirement.state in definition.final_states:
        raise Conflict(
            Message(
                N_("Requirement #%(id)s is %(state)s: open a new one to write to the customer."),
                id=requirement.id,
                state=requirement.state.replace("_", " "),
            )
        )
    errors: dict[str, list[str]] = {}
    _unknown(data, REPLY_FIELDS, errors)
    customer = _customer(session, requirement)
    parts = _body(data, errors)
    to_raw = data.get("to") or customer.primary_email
    if not to_raw:
        errors["to"] = [Message(N_("The customer has no email address: give one."))]
    to = _address(to_raw, "to", errors) if to_raw else None
    cc = _addresses(data.get("cc"), errors)
    subject = requirement_threads.subject(requirement)
    if data.get("subject"):
        subject = requirement_threads.with_reference(requirement.id, str(data["subject"]))
    then = data.get("then") or None
    if then is not None and not isinstance(then, str):
        errors["then"] = [Message(N_("Name a trigger, e.g. ask_customer or resolve."))]
    if files is not None and (problems := files.problems()):
        errors["attachments"] = problems
    if errors or parts is None or to is None:
        raise ValidationFailed(errors)
    allowed = requirements.allowed_triggers(session, requirement, actor)
    if then is not None and then not in allowed:  # refused before anything is written
        raise requirements.TransitionRefused(requirement.state, then, allowed, [])
    html, text = parts
    earlier = requirement_threads.earlier_messages(session, [requirement.id])[requirement.id]
    communication = conversations.log_communication(
        session,
        customer,
        {
            "channel": "email",
            "direction": "outbound",
            "subject": subject,
            "body": html,
            "participants": [to, *cc],
            "requirement_id": requirement.id,
        },
        actor_id=actor.id,
        clock=clock,
    )
    kept = []
    if files is not None and files.files:
        kept = attachments.keep(
            session, files.store, communication, files.files, policy=files.policy, clock=clock
        )
    headers = requirement_threads.headers(session, requirement.id, earlier=earlier)
    if cc:
        headers["Cc"] = ", ".join(cc)
    message = outbox.enqueue_email(
        session,
        idempotency_key=f"reply:{communication.id}",
        cause=f"reply:requirement:{requirement.id}",
        to_address=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers,
        attachments=attachments.outgoing(kept),
        clock=clock,
    )
    communication.message_id = message.message_id
    communication.outbox_id = message.id
    session.flush()
    if then is not None:
        note = (data.get("resolution_note") or "").strip() or None
        requirements.fire(session, requirement, then, actor=actor, clock=clock, note=note)
    return communication


def add_note(
    session: Session,
    requirement: Requirement,
    data: dict[str, Any],
    *,
    actor: User,
    clock: Clock,
    everyone_sees_everything: bool = False,
) -> Communication:
    """An internal note on the requirement: staff see it in the thread, the customer never
    does, and it moves no clock; the staff it `@mentions` are notified. Flushes only."""
    errors: dict[str, list[str]] = {}
    _unknown(data, NOTE_FIELDS, errors)
    parts = _body(data, errors)
    if errors or parts is None:
        raise ValidationFailed(errors)
    html, _ = parts
    note = conversations.log_communication(
        session,
        _customer(session, requirement),
        {
            "channel": "note",
            "direction": "internal",
            "body": html,
            "requirement_id": requirement.id,
        },
        actor_id=actor.id,
        clock=clock,
    )
    mentions.notify_mentioned(
        session,
        requirement,
        str(data.get("body", "")),
        actor=actor,
        clock=clock,
        everyone_sees_everything=everyone_sees_everything,
    )
    return note
