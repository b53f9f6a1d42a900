"""The words a person reads for a workflow's codes, looked up in the declarations: a page that
shows a state or trigger without knowing its workflow (a customer's history, a filter) finds the
first workflow that declares it. Logic compares codes, never these words."""

from workflows.tracking.declaration import Workflow, humanise
from workflows.tracking.sales_workflow import SALES
from workflows.tracking.support_workflow import SUPPORT
from workflows.tracking.task_workflow import TASK

# The declarations themselves, not `requirements.WORKFLOWS`: the SLA notices read these words,
# and `requirements` imports the SLA engine (a test checks both list the same workflows).
WORKFLOWS: dict[str, Workflow] = {w.key: w for w in (SUPPORT, SALES, TASK)}

# Events recorded beside the transitions (a requirement's history shows them like triggers).
EVENT_LABELS = {
    "open": "Opened",
    "sla_warning": "SLA at risk",
    "sla_breach": "SLA breached",
    "sla_escalation": "SLA escalated",
    "sla_acknowledged": "SLA escalation acknowledged",
}


def _declaring(workflow: Workflow | str | None) -> list[Workflow]:
    if isinstance(workflow, Workflow):
        return [workflow]
    if workflow in WORKFLOWS:
        return [WORKFLOWS[workflow]]
    return list(WORKFLOWS.values())


def state_label(state: str, workflow: Workflow | str | None = None) -> str:
    for definition in _declaring(workflow):
        if state in definition.state_labels:
            return definition.state_labels[state]
    return humanise(state)


def trigger_label(trigger: str, workflow: Workflow | str | None = None) -> str:
    for definition in _declaring(workflow):
        if trigger in definition.trigger_labels:
            return definition.trigger_labels[trigger]
    return EVENT_LABELS.get(trigger) or humanise(trigger).capitalize()


SLA_METRICS = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}
SLA_STEPS = {"warning": "at-risk warning", "breach": "breach"}


def timer_label(kind: str, workflow: Workflow | str | None = None) -> str:
    """A timer's words: declared on its workflow, or an SLA clock's step
    (`first_response:rung_2` → "first response escalation 2")."""
    metric, _, step = kind.partition(":")
    if step:
        number = step.removeprefix("rung_")
        words = f"escalation {number}" if number != step else SLA_STEPS.get(step, humanise(step))
        return f"{SLA_METRICS.get(metric, humanise(metric))} {words}"
    if kind == "follow_up":
        return "follow-up"
    for definition in _declaring(workflow):
        label = definition.timer_label(kind)
        if label != humanise(kind):
            return label
    return humanise(kind)
