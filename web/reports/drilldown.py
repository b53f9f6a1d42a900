"""The support report's drill-down: from a count of requirements created in the range to the
"All open" queue page that lists exactly them — every state, the same filters and the same
local days in the report's zone (the queue reads them with the report's own `local_midnight`)."""

from collections.abc import Mapping
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


def queue_url(report: Mapping[str, Any], **narrower: Any) -> str | None:
    """The queue page for the report's range and filters, narrowed by `narrower` (queue
    argument names); None when a filter has no queue counterpart (the SLA policy)."""
    filters = report["filters"]
    if any(name not in QUEUE_ARGS for name in filters):
        return None
    days = report["range"]
    args = {QUEUE_ARGS[name]: value for name, value in filters.items()} | narrower
    return url_for(
        "requirements.index",
        queue="all",
        state=ANY_STATE,
        created_from=days["start"],
        created_to=days["end"],
        time_zone=days["time_zone"],
        **args,
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
