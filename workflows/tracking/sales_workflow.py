"""The sales opportunity workflow: lead → qualified → proposal → negotiation → won/lost, with a
follow-up timer in each open stage."""

from datetime import timedelta

from workflows.platform.i18n import N_
from workflows.tracking.declaration import TimerSpec, Workflow

OPEN_STAGES = ["lead", "qualified", "proposal", "negotiation"]

SALES = Workflow(
    key="sales",
    label=N_("Sales opportunity"),
    states=[*OPEN_STAGES, "won", "lost"],
    initial="lead",
    transitions=[
        {"trigger": "qualify", "source": "lead", "dest": "qualified"},
        {"trigger": "propose", "source": "qualified", "dest": "proposal"},
        {"trigger": "negotiate", "source": "proposal", "dest": "negotiation"},
        {"trigger": "win", "source": ["proposal", "negotiation"], "dest": "won"},
        {"trigger": "lose", "source": OPEN_STAGES, "dest": "lost"},
    ],
    final_states=frozenset({"won", "lost"}),
    done_states=frozenset({"won", "lost"}),
    timers={
        "lead": (TimerSpec("follow_up", timedelta(days=2), label=N_("follow-up")),),
        "qualified": (TimerSpec("follow_up", timedelta(days=3), label=N_("follow-up")),),
        "proposal": (TimerSpec("follow_up", timedelta(days=5), label=N_("follow-up")),),
        "negotiation": (TimerSpec("follow_up", timedelta(days=3), label=N_("follow-up")),),
    },
    state_labels={
        "lead": N_("lead"),
        "qualified": N_("qualified"),
        "proposal": N_("proposal sent"),
        "negotiation": N_("in negotiation"),
        "won": N_("won"),
        "lost": N_("lost"),
    },
    trigger_labels={
        "qualify": N_("Qualify"),
        "propose": N_("Send a proposal"),
        "negotiate": N_("Negotiate"),
        "win": N_("Mark as won"),
        "lose": N_("Mark as lost"),
    },
    confirmations={
        "win": N_("Marking it won ends the opportunity for good: its follow-ups stop."),
        "lose": N_("Marking it lost ends the opportunity for good: its follow-ups stop."),
    },
    confirm_labels={
        "win": (N_("Yes, mark it won"), N_("Yes, mark %(n)s won")),
        "lose": (N_("Yes, mark it lost"), N_("Yes, mark %(n)s lost")),
    },
)
