"""The sentences an SLA clock's history (`SlaClock.history`: `what` and `why`) and the timeline
events the clocks, timers and replies write (`RequirementEvent.note`) are stored in.

They are stored in English — what the API, logs and older rows have — and every one is a msgid
here (`N_`), so a page reads a stored text back into its msgid and values and shows it in the
reader's language (`web/requirements/clock_texts.py`); rows written before this list existed
have the same English, so they are shown translated too. Write them with `say(...)`, never
with an f-string of your own, or the page cannot read them back.
"""

from workflows.platform.i18n import N_

# What happened to a clock (`history[].what`).
STARTED = N_("started")
PAUSED = N_("paused")
RESUMED = N_("resumed")
MET = N_("met")
MET_LATE = N_("met late")
CANCELLED = N_("cancelled")
BREACHED = N_("breached")
AT_RISK = N_("at risk")
ESCALATED = N_("escalated (rung %(rung)s)")
ACKNOWLEDGED = N_("acknowledged")
REPLANNED = N_("re-planned")

# Why (`history[].why`). `why` is another of these sentences, `target` a duration such as "8 h",
# `state`/`before`/`after` state codes, `trigger` a trigger code, `channel` a channel code.
TARGET = N_("%(why)s; target %(target)s of business time")
OPENED = N_("requirement opened")
STATE_PAUSES = N_("“%(state)s” pauses this clock")
TRANSITION = N_("%(trigger)s: %(before)s → %(after)s")
CUSTOMER_WROTE = N_("customer wrote (%(channel)s #%(id)s)")
ANSWERED = N_("answered (%(channel)s #%(id)s)")
PERCENT_USED = N_("%(percent)s %% of the target used")
TARGET_PASSED = N_("the %(target)s target passed")
NOTIFIED = N_("notified")
PRIORITY_RAISED = N_("priority raised to %(priority)s")
MOVED_TO_TEAM = N_("moved to team %(team)s")
REASSIGNED = N_("reassigned to user %(user)s")
RUNG_ACKNOWLEDGED = N_("rung %(rung)s acknowledged; later rungs stopped")
POLICY_VERSION = N_("now under policy version %(version)s")
PRIORITY_CHANGED = N_("priority changed to %(priority)s")
REMATCHED = N_("re-matched to policy “%(policy)s” version %(version)s")

# Timeline event notes (`RequirementEvent.note`); `metric` is "First response", "Resolution" …
CUSTOMER_REPLIED = N_("customer replied")
CUSTOMER_REPLIED_ON = N_("customer replied (%(channel)s #%(id)s)")
TIMER_FIRED = N_("timer %(kind)s")
AT_RISK_DUE = N_("%(metric)s at risk: due %(due)s UTC")
TARGET_BREACHED = N_("%(metric)s target breached")
ESCALATION_RUNG = N_("%(metric)s escalation rung %(rung)s")
ESCALATION_RUNG_DONE = N_("%(metric)s escalation rung %(rung)s: %(actions)s")
ESCALATION_ACKNOWLEDGED = N_("%(metric)s escalation acknowledged at rung %(rung)s")

# The description of a requirement opened because a customer wrote on a closed one
# (`workflows.tracking.conversations`); `state` a state code.
FOLLOWS = N_("Follows #%(id)s, which was %(state)s.")

WHAT = (
    STARTED,
    PAUSED,
    RESUMED,
    MET,
    MET_LATE,
    CANCELLED,
    BREACHED,
    AT_RISK,
    ESCALATED,
    ACKNOWLEDGED,
    REPLANNED,
)
WHY = (
    TARGET,
    OPENED,
    STATE_PAUSES,
    TRANSITION,
    CUSTOMER_WROTE,
    ANSWERED,
    PERCENT_USED,
    TARGET_PASSED,
    NOTIFIED,
    PRIORITY_RAISED,
    MOVED_TO_TEAM,
    REASSIGNED,
    RUNG_ACKNOWLEDGED,
    POLICY_VERSION,
    PRIORITY_CHANGED,
    REMATCHED,
)
NOTES = (
    CUSTOMER_REPLIED,
    CUSTOMER_REPLIED_ON,
    TIMER_FIRED,
    AT_RISK_DUE,
    TARGET_BREACHED,
    ESCALATION_RUNG,
    ESCALATION_RUNG_DONE,
    ESCALATION_ACKNOWLEDGED,
)


def say(msgid: str, **values: object) -> str:
    """The English sentence that is stored (one of the msgids above, filled)."""
    return msgid % values
