"""The words a person reads for a workflow's codes, looked up in the declarations: a page that
shows a state or trigger without knowing its workflow (a customer's history, a filter) finds the
first workflow that declares it. Logic compares codes, never these words.

Every function takes the reader's `locale` (an email's recipient); None means the web request's
language, else English (workflows/platform/i18n.py `display`)."""

from workflows.platform.i18n import N_, display
from workflows.tracking.declaration import Workflow, humanise
from workflows.tracking.sales_workflow import SALES
from workflows.tracking.support_workflow import SUPPORT
from workflows.tracking.task_workflow import TASK

# The declarations themselves, not `requirements.WORKFLOWS`: the SLA notices read these words,
# and `requirements` imports the SLA engine (a test checks both list the same workflows).
WORKFLOWS: dict[str, Workflow] = {w.key: w for w in (SUPPORT, SALES, TASK)}

# Events recorded beside the transitions (a requirement's history shows them like triggers).
EVENT_LABELS = {
    "open": N_("Opened"),
    "sla_warning": N_("SLA at risk"),
    "sla_breach": N_("SLA breached"),
    "sla_escalation": N_("SLA escalated"),
    "sla_acknowledged": N_("SLA escalation acknowledged"),
}


def _declaring(workflow: Workflow | str | None) -> list[Workflow]:
    if isinstance(workflow, Workflow):
        return [workflow]
    if workflow in WORKFLOWS:
        return [WORKFLOWS[workflow]]
    return list(WORKFLOWS.values())


def state_label(
    state: str, workflow: Workflow | str | None = None, locale: str | None = None
) -> str:
    for definition in _declaring(workflow):
        if state in definition.state_labels:
            return display(definition.state_labels[state], locale)
    return humanise(state)


def trigger_label(
    trigger: str, workflow: Workflow | str | None = None, locale: str | None = None
) -> str:
    for definition in _declaring(workflow):
        if trigger in definition.trigger_labels:
            return display(definition.trigger_labels[trigger], locale)
    if trigger in EVENT_LABELS:
        return display(EVENT_LABELS[trigger], locale)
    return humanise(trigger).capitalize()


PRIORITY_LABELS = {
    "low": N_("low"),
    "normal": N_("normal"),
    "high": N_("high"),
    "urgent": N_("urgent"),
}


def priority_label(priority: str, locale: str | None = None) -> str:
    words = PRIORITY_LABELS.get(str(priority))
    return display(words, locale) if words else str(priority)


SLA_METRICS = {
    "first_response": N_("first response"),
    "next_response": N_("next response"),
    "resolution": N_("resolution"),
}
# An SLA clock's timer steps: `%(metric)s` is one of SLA_METRICS.
SLA_STEPS = {"warning": N_("%(metric)s at-risk warning"), "breach": N_("%(metric)s breach")}
SLA_RUNG = N_("%(metric)s escalation %(number)s")


def metric_label(metric: str, locale: str | None = None) -> str:
    """An SLA metric's words: `first_response` → "first response"."""
    words = SLA_METRICS.get(metric)
    return display(words, locale) if words else humanise(metric)


def timer_label(
    kind: str, workflow: Workflow | str | None = None, locale: str | None = None
) -> str:
    """A timer's words: declared on its workflow, or an SLA clock's step
    (`first_response:rung_2` → "first response escalation 2")."""
    metric, _, step = kind.partition(":")
    if step:
        words = metric_label(metric, locale)
        number = step.removeprefix("rung_")
        if number != step:
            return display(SLA_RUNG, locale, metric=words, number=number)
        if step in SLA_STEPS:
            return display(SLA_STEPS[step], locale, metric=words)
        return f"{words} {humanise(step)}"
    if kind == "follow_up":
        return display(N_("follow-up"), locale)
    for definition in _declaring(workflow):
        if any(
            spec.kind == kind and spec.label
            for specs in definition.timers.values()
            for spec in specs
        ):
            return definition.timer_label(kind, locale)
    return humanise(kind)
