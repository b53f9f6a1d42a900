"""What a requirement workflow declares: states, transitions with guards, and the timers each
state starts. One shared `transitions.Machine` per workflow serves every requirement row."""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from transitions import EventData, Machine

from workflows.platform.i18n import N_, LazyText, display


@dataclass(frozen=True)
class TimerSpec:
    """A timer planned when its state is entered and cancelled when the state is left."""

    kind: str
    after: timedelta
    trigger: str | None = None  # the transition it fires, or None for a reminder only
    label: str = ""  # what the timeline says it is ("first reminder to the customer")


@dataclass
class Workflow:
    key: str
    label: str
    states: list[str]
    initial: str
    transitions: list[dict[str, Any]]
    final_states: frozenset[str]
    timers: dict[str, tuple[TimerSpec, ...]] = field(default_factory=dict)
    timer_triggers: frozenset[str] = frozenset()  # triggers only timers may fire
    # SLA: entering a done state meets the response and resolution clocks; a final state also
    # ends them. `sla_pause_states` is the default per metric; a policy may override it.
    done_states: frozenset[str] = frozenset()
    sla_pause_states: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The words people read (pages, history, emails): states as lowercase phrases ("waiting on
    # customer"), triggers as the button says it ("Ask the customer"). Codes stay in logic.
    # Declared in English and marked with N_; the methods below show them in the reader's
    # language (workflows/platform/i18n.py). A test checks every state and trigger has one.
    state_labels: dict[str, str] = field(default_factory=dict)
    trigger_labels: dict[str, str] = field(default_factory=dict)
    # Triggers that end the requirement or cannot be undone by whoever fires them: the sentence
    # that names what will happen, shown before it does (a confirmation step, or a dialog).
    confirmations: dict[str, str] = field(default_factory=dict)
    # The confirming button's words for each of those triggers, whole sentences (never built
    # from the trigger's label): for one requirement, and for `%(n)s` of them (the bulk form).
    confirm_labels: dict[str, tuple[str, str]] = field(default_factory=dict)
    # Triggers only these roles may fire (a role's value: "supervisor" includes admins).
    trigger_roles: dict[str, str] = field(default_factory=dict)
    # Values for the confirmations' `%(name)s` placeholders (e.g. the reopen window's days).
    confirmation_values: dict[str, object] = field(default_factory=dict)
    machine: Machine = field(init=False)

    def __post_init__(self) -> None:
        # Shown in the reader's language wherever they are rendered, e.g. `{{ w.label }}`.
        self.label = LazyText(self.label)
        self.confirmations = {
            trigger: LazyText(sentence, **self.confirmation_values)
            for trigger, sentence in self.confirmations.items()
        }
        # One machine per workflow, never one per row; no auto transitions, no Timeout states
        # (DESIGN.md §3): the state is a plain column and timers are database rows.
        self.machine = Machine(
            model=None,
            states=self.states,
            transitions=self.transitions,
            initial=None,
            model_attribute="state",
            auto_transitions=False,
            send_event=True,
        )

    def is_active(self, state: str) -> bool:
        """Work still to do: neither done nor final."""
        return state not in self.done_states and state not in self.final_states

    def triggers_from(self, state: str, *, include_timer_triggers: bool = False) -> list[str]:
        triggers = self.machine.get_triggers(state)
        if include_timer_triggers:
            return triggers
        return [t for t in triggers if t not in self.timer_triggers]

    @property
    def triggers(self) -> list[str]:
        """Every trigger a person may name, in declaration order (timer-only ones left out)."""
        declared = dict.fromkeys(t["trigger"] for t in self.transitions)
        return [t for t in declared if t not in self.timer_triggers]

    # `locale`: the reader's (an email's recipient); None: the web request's, else English.
    def state_label(self, state: str, locale: str | None = None) -> str:
        return display(self.state_labels.get(state) or humanise(state), locale)

    def trigger_label(self, trigger: str, locale: str | None = None) -> str:
        words = self.trigger_labels.get(trigger)
        return display(words, locale) if words else humanise(trigger).capitalize()

    def timer_label(self, kind: str, locale: str | None = None) -> str:
        for specs in self.timers.values():
            for spec in specs:
                if spec.kind == kind and spec.label:
                    return display(spec.label, locale)
        return humanise(kind)

    def confirmation(self, trigger: str, locale: str | None = None) -> str | None:
        """The sentence said before `trigger` happens, if it asks first."""
        sentence = self.confirmations.get(trigger)
        if sentence is None:
            return None
        return display(str.__str__(sentence), locale, **self.confirmation_values)

    def confirm_label(self, trigger: str, n: int | None = None, locale: str | None = None) -> str:
        """The words of the button that confirms `trigger` (for `n` requirements, if given)."""
        one, many = self.confirm_labels.get(trigger) or (N_("Yes, go ahead"), N_("Yes, go ahead"))
        return display(one, locale) if n is None else display(many, locale, n=n)

    def diagram(self) -> str:
        """Mermaid state diagram text generated from the declaration."""
        lines = ["stateDiagram-v2", f"    [*] --> {self.initial}"]
        for spec in self.transitions:
            sources = spec["source"] if isinstance(spec["source"], list) else [spec["source"]]
            for source in sources:
                lines.append(f"    {source} --> {spec['dest']}: {spec['trigger']}")
        lines += [f"    {state} --> [*]" for state in sorted(self.final_states)]
        return "\n".join(lines)


def humanise(code: str) -> str:
    """The fallback for a code without declared words: never shown as `snake_case`."""
    return code.replace("_", " ")


def refuse(event: EventData, message: str) -> bool:
    """A guard's way to say why it failed: collected for the error the user sees."""
    event.kwargs.setdefault("refusals", []).append(message)
    return False


Guard = Callable[[EventData], bool]
