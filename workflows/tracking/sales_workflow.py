"""The sales opportunity workflow: lead → qualified → proposal → negotiation → won/lost, with a
follow-up timer in each open stage."""

from datetime import timedelta

from workflows.tracking.declaration import TimerSpec, Workflow

OPEN_STAGES = ["lead", "qualified", "proposal", "negotiation"]

SALES = Workflow(
    key="sales",
    label="Sales opportunity",
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
        "lead": (TimerSpec("follow_up", timedelta(days=2), label="follow-up"),),
        "qualified": (TimerSpec("follow_up", timedelta(days=3), label="follow-up"),),
        "proposal": (TimerSpec("follow_up", timedelta(days=5), label="follow-up"),),
        "negotiation": (TimerSpec("follow_up", timedelta(days=3), label="follow-up"),),
    },
    state_labels={
        "lead": "lead",
        "qualified": "qualified",
        "proposal": "proposal sent",
        "negotiation": "in negotiation",
        "won": "won",
        "lost": "lost",
    },
    trigger_labels={
        "qualify": "Qualify",
        "propose": "Send a proposal",
        "negotiate": "Negotiate",
        "win": "Mark as won",
        "lose": "Mark as lost",
    },
    confirmations={
        "win": "Marking it won ends the opportunity for good: its follow-ups stop.",
        "lose": "Marking it lost ends the opportunity for good: its follow-ups stop.",
    },
)
