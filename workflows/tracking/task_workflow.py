"""The small *task* workflow: a call or visit an outreach strategy asks an agent or team to make,
landing in their requirement queues with its own due time (kept in `extra["due_at"]`)."""

from workflows.platform.i18n import N_
from workflows.tracking.declaration import Workflow

TASK = Workflow(
    key="task",
    label=N_("Task"),
    states=["open", "done", "cancelled"],
    initial="open",
    transitions=[
        {"trigger": "complete", "source": "open", "dest": "done"},
        {"trigger": "cancel", "source": "open", "dest": "cancelled"},
        {"trigger": "reopen", "source": ["done", "cancelled"], "dest": "open"},
    ],
    final_states=frozenset({"cancelled"}),
    done_states=frozenset({"done"}),  # a cancelled task is final, not met
    state_labels={"open": N_("open"), "done": N_("done"), "cancelled": N_("cancelled")},
    trigger_labels={"complete": N_("Mark done"), "cancel": N_("Cancel"), "reopen": N_("Reopen")},
    confirmations={"cancel": N_("Cancelling takes the task out of every queue.")},
    confirm_labels={"cancel": (N_("Yes, cancel it"), N_("Yes, cancel %(n)s"))},
)
