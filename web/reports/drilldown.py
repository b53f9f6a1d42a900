"""The support report's drill-down: from a count of requirements created in the range to the
"All open" queue page that lists exactly them — every state, the same filters and the same
local days in the report's zone (the queue reads them with the report's own `local_midnight`)."""

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import url_for

from workflows.tracking.saved_views import ANY_STATE

# The report's filter names and the queue page's.
QUEUE_ARGS = {
    "team_id": "team",
    "assignee_id": "assignee",
    "priority": "priority",
    "category": "category",
    "workflow": "workflow",
}


def _queue_args(report: Mapping[str, Any]) -> dict[str, Any] | None:
    """The report's filters as queue arguments; None when one has no queue counterpart (the
    SLA policy)."""
    filters = report["filters"]
    if any(name not in QUEUE_ARGS for name in filters):
        return None
    return {QUEUE_ARGS[name]: value for name, value in filters.items()}


def queue_url(report: Mapping[str, Any], **narrower: Any) -> str | None:
    """The queue page for the report's range and filters, narrowed by `narrower` (queue
    argument names); None when a filter has no queue counterpart (the SLA policy)."""
    args = _queue_args(report)
    if args is None:
        return None
    days = report["range"]
    return url_for(
        "requirements.index",
        queue="all",
        state=ANY_STATE,
        created_from=days["start"],
        created_to=days["end"],
        time_zone=days["time_zone"],
        **(args | narrower),
    )


def created_links(report: Mapping[str, Any]) -> dict[str, Any]:
    """Links for the created counts: `total`, and per row id of the `agents` and `teams`
    tables (nobody: the unassigned; a team's row without a team has none)."""
    if queue_url(report) is None:
        return {"total": None, "agents": {}, "teams": {}}
    return {
        "total": queue_url(report),
        "agents": {
            row[0]: queue_url(report, assignee=row[0] if row[0] is not None else "none")
            for row in report["agents"]["rows"]
        },
        "teams": {
            row[0]: queue_url(report, team=row[0])
            for row in report["teams"]["rows"]
            if row[0] is not None
        },
    }


def backlog_links(report: Mapping[str, Any], today: date) -> list[tuple[str, int, str | None]]:
    """(state, count, queue URL) of the backlog at the end of the range's last day when that
    day is today: what is open now, which the queue lists by state (no link for none). Empty
    for a range ending earlier, or with a filter the queues do not have."""
    args = _queue_args(report)
    backlog = report["backlog"]
    if args is None or report["range"]["end"] != today.isoformat() or not backlog["rows"]:
        return []
    states, counts = backlog["columns"][1:], backlog["rows"][-1][1:]
    return [
        (
            state,
            count,
            url_for("requirements.index", queue="all", state=state, **args) if count else None,
        )
        for state, count in zip(states, counts, strict=True)
    ]
