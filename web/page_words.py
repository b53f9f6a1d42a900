"""Words for the codes the admin, outreach, import and privacy pages show (field kinds, outbox
and job statuses, strategy triggers, retention targets, priorities): the codes stay as they are
in the database, the API and the CSS hooks, and each page shows these words, translated for the
viewer. An unknown code is shown as it is. Jinja globals (registered with the admin blueprint)."""

import re
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

FIELD_KIND_WORDS = {
    "text": _l("text"),
    "number": _l("number"),
    "date": _l("date"),
    "single_choice": _l("single choice"),
    "multi_choice": _l("multiple choice"),
}
ENTITY_WORDS = {"customer": _l("Customer"), "organisation": _l("Organisation")}
OUTBOX_STATUS_WORDS = {
    "pending": _l("pending"),
    "sending": _l("sending"),
    "sent": _l("sent"),
    "dead": _l("dead"),
    "suppressed": _l("suppressed"),
}
RECOMPUTE_STATUS_WORDS = {
    "queued": _l("queued"),
    "running": _l("running"),
    "finished": _l("finished"),
}
PRIORITY_WORDS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}


# Statuses, modes and actions shown as plain words (strategies, enrolments, import jobs,
# erasures, retention policies, the access log).
CODE_WORDS = {
    # How a subject's data was reached (the access log's `via`).
    "page": _l("a page"),
    "api": _l("the API"),
    "worker": _l("a background job"),
    "draft": _l("draft"),
    "active": _l("active"),
    "paused": _l("paused"),
    "archived": _l("archived"),
    "holdout": _l("holdout"),
    "completed": _l("completed"),
    "stopped": _l("stopped"),
    "pending": _l("pending"),
    "queued": _l("queued"),
    "running": _l("running"),
    "done": _l("done"),
    "finished": _l("finished"),
    "failed": _l("failed"),
    "refused": _l("refused"),
    "activate": _l("Activate"),
    "pause": _l("Pause"),
    "resume": _l("Resume"),
    "archive": _l("Archive"),
    "all_or_nothing": _l("all or nothing"),
    "skip_bad_rows": _l("skip bad rows"),
    "communications": _l("communications"),
    "requirements": _l("requirements"),
    "delete": _l("delete"),
    "anonymise": _l("anonymise"),
    "view": _l("view"),
    "export": _l("export"),
    "reveal": _l("reveal"),
    "erase": _l("erase"),
    # An enrolment's timeline (workflows.outreach.events) and why it stopped (stops.py).
    "enrolled": _l("enrolled"),
    "skipped": _l("skipped"),
    "sent": _l("sent"),
    "removed": _l("removed"),
    "replied": _l("replied"),
    "requirement": _l("a requirement was opened"),
    "goal_reached": _l("goal reached"),
    "customer_deleted": _l("customer deleted"),
    "unsubscribed": _l("unsubscribed"),
    "bounced": _l("email bounced"),
    "complaint": _l("complaint"),
    "manual": _l("suppressed by hand"),
    # What an API read of a customer looked at (the access log's detail).
    "transactions": _l("transactions"),
    "timeline": _l("timeline"),
}


KPI_WORDS = {
    "reply_rate": _l("reply rate"),
    "meeting_booked": _l("meeting booked"),
    "requirement_resolved": _l("requirement resolved"),
    "revenue": _l("revenue"),
    "reactivation": _l("reactivation"),
}
# Why a dry run leaves a customer out (workflows.outreach.eligibility, activation).
REASON_WORDS = {
    "already_enrolled": _l("already enrolled"),
    "no_email": _l("no email address"),
    "no_phone": _l("no phone number"),
    "no_consent": _l("no consent"),
    "suppressed": _l("unsubscribed or suppressed"),
}
# The Pareto page's dimensions (workflows.analytics.pareto.DIMENSIONS).
DIMENSION_WORDS = {
    "requirements_by_category": _l("requirements by category"),
    "requirements_by_customer": _l("requirements by customer"),
    "requirements_by_organisation": _l("requirements by organisation"),
    "breaches_by_cause": _l("breaches by cause"),
    "revenue_by_customer": _l("revenue by customer"),
    "revenue_by_organisation": _l("revenue by organisation"),
    "replies_by_channel": _l("replies by channel"),
    "replies_by_step": _l("replies by step"),
}
# The strategy builder's choices (workflows.outreach.definitions) and the report filters'
# workflows and priorities.
OPTION_WORDS = {
    "segment": _l("customers in a segment"),
    "requirement_resolved": _l("a requirement was resolved"),
    "no_transaction": _l("no purchase for some days"),
    "new_customers": _l("new customers"),
    "requirement_state": _l("a requirement reached a state"),
    "email": _l("email"),
    "sms": _l("SMS"),
    "task": _l("task for an agent"),
    "visit": _l("visit"),
    "call": _l("call"),
    "meeting": _l("meeting"),
    "note": _l("note"),
    "minutes": _l("minutes"),
    "hours": _l("hours"),
    "calendar_days": _l("calendar days"),
    "business_days": _l("business days"),
    "no_reply": _l("no reply yet"),
    "requirement_open": _l("a requirement is open"),
    "goal_not_reached": _l("goal not reached"),
    "granted": _l("only after consent was granted"),
    "not_withdrawn": _l("unless consent was withdrawn"),
    "support": _l("Support request"),
    "sales": _l("Sales opportunity"),
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}
METRIC_WORDS = {
    "first_response": _l("First response"),
    "next_response": _l("Next response"),
    "resolution": _l("Resolution"),
}


# The details an enrolment's timeline (workflows.outreach.planning, execution, enrolments) and
# the access log (workflows.privacy.erasure, web.privacy) store in English, read back into
# words; anything else (a subject) is data.
_VERSION_RE = re.compile(r"version (\d+)")
_ERASURE_JOB_RE = re.compile(r"erasure job (\d+)")
_BYTES_RE = re.compile(r"(\d+) bytes")
_CONDITION_RE = re.compile(r"condition (\w+)")
_REMOVED_BY_RE = re.compile(r"removed by (.+)", re.S)
_TASK_RE = re.compile(r"task #(\d+)")


def detail_words(detail: str | None) -> str:
    """An enrolment event's or an access log entry's stored detail in the reader's language."""
    if not detail:
        return ""
    if match := _VERSION_RE.fullmatch(detail):
        return gettext("version %(n)s", n=match.group(1))
    if match := _CONDITION_RE.fullmatch(detail):
        return gettext("condition: %(condition)s", condition=option_words(match.group(1)))
    if match := _REMOVED_BY_RE.fullmatch(detail):
        return gettext("removed by %(name)s", name=match.group(1))
    if match := _TASK_RE.fullmatch(detail):
        return gettext("task #%(id)s", id=match.group(1))
    if match := _ERASURE_JOB_RE.fullmatch(detail):
        return gettext("erasure job %(id)s", id=match.group(1))
    if match := _BYTES_RE.fullmatch(detail):
        return gettext("%(n)s bytes", n=match.group(1))
    if detail in CODE_WORDS:
        return str(CODE_WORDS[detail])
    return detail


def _words(table: dict[str, Any]) -> Any:
    def words(code: Any) -> str:
        key = getattr(code, "value", code)
        return str(table.get(key, str(key).replace("_", " ")))

    return words


code_words = _words(CODE_WORDS)
option_words = _words(OPTION_WORDS)
JINJA_GLOBALS = {
    "kind_words": _words(FIELD_KIND_WORDS),
    "entity_words": _words(ENTITY_WORDS),
    "outbox_status_words": _words(OUTBOX_STATUS_WORDS),
    "recompute_status_words": _words(RECOMPUTE_STATUS_WORDS),
    "priority_words": _words(PRIORITY_WORDS),
    "code_words": code_words,
    "kpi_words": _words(KPI_WORDS),
    "reason_words": _words(REASON_WORDS),
    "dimension_words": _words(DIMENSION_WORDS),
    "metric_words": _words(METRIC_WORDS),
    "option_words": option_words,
    "detail_words": detail_words,
}
