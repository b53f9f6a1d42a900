"""The emails timers cause: reminders, follow-ups and auto-resolve/close notices. Each is an
outbox row keyed by its timer, so it is written and sent once (DESIGN.md §6)."""

from sqlalchemy.orm import Session

from models import Customer, Requirement, Timer, User
from workflows import outbox
from workflows.clock import Clock

# kind -> (recipient, subject); recipient "customer" or "assignee"
NOTICES = {
    "customer_reminder_1": ("customer", "We are waiting for your reply: {title}"),
    "customer_reminder_2": ("customer", "Still waiting for your reply: {title}"),
    "auto_resolve": ("customer", "We consider your request resolved: {title}"),
    "auto_close": ("customer", "Your request is closed: {title}"),
    "follow_up": ("assignee", "Follow up on {title}"),
}


def timer_email(session: Session, requirement: Requirement, timer: Timer) -> outbox.Email | None:
    """The notice `timer` sends, if its kind has one and the recipient has an address. Reads
    only (the batch's rows are usually in the identity map already); writes nothing."""
    spec = NOTICES.get(timer.kind)
    if spec is None:
        return None
    recipient, subject = spec
    address = None
    if recipient == "customer":
        customer = session.get(Customer, requirement.customer_id)
        address = customer.primary_email if customer else None
    elif requirement.assignee_id is not None:
        assignee = session.get(User, requirement.assignee_id)
        address = assignee.email if assignee and assignee.is_active else None
    if not address:
        return None
    state = requirement.state.replace("_", " ")
    return outbox.Email(
        idempotency_key=f"timer:{timer.id}",
        cause=f"timer:{timer.kind}:requirement:{requirement.id}",
        to_address=address,
        subject=subject.format(title=requirement.title)[:300],
        body_text=f"Requirement #{requirement.id} “{requirement.title}” is {state}.\n",
    )


def timer_notice(session: Session, requirement: Requirement, timer: Timer, *, clock: Clock) -> None:
    """Write the notice for `timer` (once per timer) and publish its send after commit."""
    email = timer_email(session, requirement, timer)
    if email is not None:
        outbox.enqueue_emails(session, [email], clock=clock)
