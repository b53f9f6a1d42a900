"""The small *task* workflow: a call or visit an outreach strategy asks an agent or team to make,
landing in their requirement queues with its own due time (kept in `extra["due_at"]`)."""

from workflows.tracking.declaration import Workflow

TASK = Workflow(
    key="task",
    label="Task",
    states=["open", "done", "cancelled"],
    initial="open",
    transitions=[
        {"trigger": "complete", "source": "open", "dest": "done"},
        {"trigger": "cancel", "source": "open", "dest": "cancelled"},
        {"trigger": "reopen", "source": ["done", "cancelled"], "dest": "open"},
    ],
    final_states=frozenset({"cancelled"}),
    done_states=frozenset({"done"}),  # a cancelled task is final, not met
    state_labels={"open": "open", "done": "done", "cancelled": "cancelled"},
    trigger_labels={"complete": "Mark done", "cancel": "Cancel", "reopen": "Reopen"},
    confirmations={"cancel": "Cancelling takes the task out of every queue."},
)
