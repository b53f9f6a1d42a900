"""The support request workflow: new → open → in progress ⇄ waiting on customer → resolved →
closed, with reopen within a window, cancel (which a supervisor may undo within the same window),
and merge into another requirement."""

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import object_session
from transitions import EventData

from models import RequirementEvent
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_
from workflows.tracking.declaration import TimerSpec, Workflow, refuse

REOPEN_WINDOW = timedelta(days=14)
ACTIVE = ["new", "open", "in_progress", "waiting_on_customer"]


def has_assignee(event: EventData) -> bool:
    return event.model.assignee_id is not None or refuse(
        event, Message(N_("Assign someone first."))
    )


def has_resolution_note(event: EventData) -> bool:
    note = (event.kwargs.get("note") or event.model.resolution_note or "").strip()
    return bool(note) or refuse(event, Message(N_("Resolving needs a resolution note.")))


def within_reopen_window(event: EventData) -> bool:
    resolved_at = event.model.resolved_at
    now = event.kwargs["clock"].now()
    if resolved_at is not None and now - resolved_at <= REOPEN_WINDOW:
        return True
    return refuse(
        event,
        Message(
            N_("Reopening is possible for %(days)s days after resolving."),
            days=REOPEN_WINDOW.days,
        ),
    )


def within_cancel_reopen_window(event: EventData) -> bool:
    """A cancelled requirement can come back for as long as a resolved one can (when it was
    cancelled is its last event into `cancelled`: no column of its own)."""
    session = object_session(event.model)
    cancelled_at = None
    if session is not None:
        cancelled_at = session.scalar(
            select(func.max(RequirementEvent.at)).where(
                RequirementEvent.requirement_id == event.model.id,
                RequirementEvent.to_state == "cancelled",
            )
        )
    now = event.kwargs["clock"].now()
    if cancelled_at is not None and now - cancelled_at <= REOPEN_WINDOW:
        return True
    return refuse(
        event,
        Message(
            N_("A cancelled requirement can be reopened for %(days)s days only."),
            days=REOPEN_WINDOW.days,
        ),
    )


def has_merge_target(event: EventData) -> bool:
    target_id = event.kwargs.get("data", {}).get("merge_into_id")
    if not target_id or target_id == event.model.id:
        return refuse(event, Message(N_("Name the requirement to merge into.")))
    session = object_session(event.model)
    target = session.get(type(event.model), target_id) if session is not None else None
    if target is None or target.customer_id != event.model.customer_id:
        return refuse(
            event,
            Message(N_("Requirement #%(id)s is not one of this customer's."), id=target_id),
        )
    if target.state in ("closed", "cancelled", "merged"):
        return refuse(
            event,
            Message(
                N_("Requirement #%(id)s is %(state)s; merge into an open one."),
                id=target_id,
                state=target.state,
            ),
        )
    return True


def keep_resolution_note(event: EventData) -> None:
    note = (event.kwargs.get("note") or "").strip()
    if note:
        event.model.resolution_note = note


def keep_merge_target(event: EventData) -> None:
    event.model.merged_into_id = event.kwargs["data"]["merge_into_id"]


SUPPORT = Workflow(
    key="support",
    label=N_("Support request"),
    states=[*ACTIVE, "resolved", "closed", "cancelled", "merged"],
    initial="new",
    transitions=[
        {"trigger": "assign", "source": "new", "dest": "open", "conditions": [has_assignee]},
        {"trigger": "start", "source": "open", "dest": "in_progress"},
        {
            "trigger": "ask_customer",
            "source": ["open", "in_progress"],
            "dest": "waiting_on_customer",
        },
        {"trigger": "customer_replied", "source": "waiting_on_customer", "dest": "open"},
        {
            "trigger": "resolve",
            "source": ["open", "in_progress", "waiting_on_customer"],
            "dest": "resolved",
            "conditions": [has_resolution_note],
            "before": [keep_resolution_note],
        },
        {"trigger": "auto_resolve", "source": "waiting_on_customer", "dest": "resolved"},
        {
            "trigger": "reopen",
            "source": "resolved",
            "dest": "open",
            "conditions": [within_reopen_window],
        },
        {
            "trigger": "reopen_cancelled",
            "source": "cancelled",
            "dest": "open",
            "conditions": [within_cancel_reopen_window],
        },
        {"trigger": "close", "source": "resolved", "dest": "closed"},
        {"trigger": "auto_close", "source": "resolved", "dest": "closed"},
        {"trigger": "cancel", "source": ACTIVE, "dest": "cancelled"},
        {
            "trigger": "merge",
            "source": ACTIVE,
            "dest": "merged",
            "conditions": [has_merge_target],
            "before": [keep_merge_target],
        },
    ],
    final_states=frozenset({"closed", "cancelled", "merged"}),
    timers={
        # Reminders to the customer after 2 and 5 days, then auto-resolve after 7 days of silence.
        "waiting_on_customer": (
            TimerSpec(
                "customer_reminder_1", timedelta(days=2), label=N_("first reminder to the customer")
            ),
            TimerSpec(
                "customer_reminder_2",
                timedelta(days=5),
                label=N_("second reminder to the customer"),
            ),
            TimerSpec(
                "auto_resolve",
                timedelta(days=7),
                trigger="auto_resolve",
                label=N_("resolve after a week of silence"),
            ),
        ),
        "resolved": (
            TimerSpec(
                "auto_close",
                timedelta(days=3),
                trigger="auto_close",
                label=N_("close after 3 days"),
            ),
        ),
    },
    timer_triggers=frozenset({"auto_resolve", "auto_close"}),
    done_states=frozenset({"resolved"}),
    # Waiting on the customer stops the clocks that measure us, not them.
    sla_pause_states={
        "next_response": ("waiting_on_customer",),
        "resolution": ("waiting_on_customer",),
    },
    state_labels={
        "new": N_("new"),
        "open": N_("open"),
        "in_progress": N_("in progress"),
        "waiting_on_customer": N_("waiting on customer"),
        "resolved": N_("resolved"),
        "closed": N_("closed"),
        "cancelled": N_("cancelled"),
        "merged": N_("merged"),
    },
    trigger_labels={
        "assign": N_("Assign"),
        "start": N_("Start work"),
        "ask_customer": N_("Ask the customer"),
        "customer_replied": N_("Customer replied"),
        "resolve": N_("Resolve"),
        "auto_resolve": N_("Resolved automatically"),
        "reopen": N_("Reopen"),
        "reopen_cancelled": N_("Reopen (undo the cancel)"),
        "close": N_("Close"),
        "auto_close": N_("Closed automatically"),
        "cancel": N_("Cancel"),
        "merge": N_("Merge"),
    },
    confirmations={
        "cancel": N_(
            "Cancelling stops its SLA clocks and reminders and takes it out of every queue. "
            "Only a supervisor can reopen it, within %(reopen_days)s days."
        ),
        "merge": N_(
            "Merging ends this requirement for good: its clocks stop and it points to the one "
            "you name. It cannot be reopened."
        ),
        "close": N_("Closing ends it for good: it can no longer be reopened."),
    },
    confirmation_values={"reopen_days": REOPEN_WINDOW.days},
    confirm_labels={
        "cancel": (N_("Yes, cancel it"), N_("Yes, cancel %(n)s")),
        "merge": (N_("Yes, merge"), N_("Yes, merge %(n)s")),
        "close": (N_("Yes, close it"), N_("Yes, close %(n)s")),
    },
    trigger_roles={"reopen_cancelled": "supervisor"},
)
