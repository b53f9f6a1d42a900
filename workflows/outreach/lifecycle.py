"""A strategy's lifecycle, declared on `transitions`: draft → active ⇄ paused → archived. One
shared machine serves every strategy row; its state is the `status` column."""

from transitions import Machine

from models import Strategy, StrategyStatus
from workflows.platform.errors import Conflict
from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_

STATES = [s.value for s in StrategyStatus]
TRANSITIONS = [
    {"trigger": "activate", "source": "draft", "dest": "active"},
    {"trigger": "pause", "source": "active", "dest": "paused"},
    {"trigger": "resume", "source": "paused", "dest": "active"},
    {"trigger": "archive", "source": ["draft", "active", "paused"], "dest": "archived"},
]
MACHINE = Machine(
    model=None,
    states=STATES,
    transitions=TRANSITIONS,
    initial=None,
    model_attribute="status",
    auto_transitions=False,
)


class StrategyTransitionRefused(Conflict):
    def __init__(self, status: str, trigger: str, allowed: list[str]) -> None:
        shown = ", ".join(allowed) or Message(N_("none"))
        super().__init__(
            Message(
                N_("A %(status)s strategy cannot %(trigger)s; allowed now: %(allowed)s."),
                status=status,
                trigger=trigger,
                allowed=shown,
            )
        )
        self.allowed = allowed


class _Holder:
    def __init__(self, status: str) -> None:
        self.status = status


def allowed_triggers(strategy: Strategy) -> list[str]:
    return MACHINE.get_triggers(str(strategy.status))


def apply(strategy: Strategy, trigger: str) -> None:
    """Move `strategy` by `trigger` or raise StrategyTransitionRefused naming what is allowed."""
    allowed = allowed_triggers(strategy)
    if trigger not in allowed:
        raise StrategyTransitionRefused(str(strategy.status), trigger, allowed)
    # transitions reads an Enum state by its member name; hand it the plain value instead.
    holder = _Holder(str(strategy.status))
    MACHINE.events[trigger].trigger(holder)
    strategy.status = StrategyStatus(holder.status)
