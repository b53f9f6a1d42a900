"""`/api/v1/reports/…`: the same JSON the report pages draw their charts from."""

from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Role
from web.access import acting_user
from web.api.conditional import require_role
from web.reports.data import build
from workflows.analytics import pareto

blp = Blueprint(
    "api_reports",
    __name__,
    url_prefix="/api/v1/reports",
    description="Support and sales KPIs and Pareto analyses (supervisors and admins). Every "
    "figure is a table: `columns` and `rows`.",
)


class RangeArgs(ma.Schema):
    """Whole days in `time_zone` (default: the token user's zone); default the last 28 days."""

    start = ma.fields.String(metadata={"example": "2026-11-01", "description": "first day"})
    end = ma.fields.String(metadata={"example": "2026-11-30", "description": "last day"})
    time_zone = ma.fields.String(metadata={"example": "Europe/Berlin"})
    team_id = ma.fields.String()
    assignee_id = ma.fields.String()
    priority = ma.fields.String()
    category = ma.fields.String()
    workflow = ma.fields.String()
    sla_policy_id = ma.fields.String()


class SalesArgs(RangeArgs):
    dormant_days = ma.fields.String(metadata={"description": "no purchase for this many days"})


class ParetoArgs(RangeArgs):
    dimension = ma.fields.String(metadata={"description": f"one of {', '.join(pareto.DIMENSIONS)}"})
    currency = ma.fields.String(
        metadata={"description": "revenue dimensions: ISO 4217 (default: the busiest)"}
    )


def _report(kind: str) -> dict[str, Any]:
    require_role(Role.SUPERVISOR)
    # The raw query string: the workflow validates it and names each bad field (422).
    return build(kind, request.args, acting_user())


@blp.route("/support")
class SupportReport(MethodView):
    @blp.arguments(RangeArgs, location="query", as_kwargs=True)
    @blp.response(200)
    @blp.doc(
        description="First-response and resolution business time (median, p90), SLA "
        "compliance per metric, breaches by rung, reopen rate, created vs resolved and backlog "
        "per day, per-agent and per-team tables."
    )
    def get(self, **_args: Any) -> Any:
        return _report("support")


@blp.route("/sales")
class SalesReport(MethodView):
    @blp.arguments(SalesArgs, location="query", as_kwargs=True)
    @blp.response(200)
    @blp.doc(
        description="Opportunities by stage with conversion, win rate, time in stage, "
        "`pipeline_value` (open opportunities by expected close month and currency, also per "
        "stage, overdue months marked, those without amount or close date counted apart; the "
        "date range does not apply, the filters do), revenue per month per currency, "
        "lifetime-value distribution, customers without a purchase."
    )
    def get(self, **_args: Any) -> Any:
        return _report("sales")


@blp.route("/pareto")
class ParetoReport(MethodView):
    @blp.arguments(ParetoArgs, location="query", as_kwargs=True)
    @blp.response(200)
    @blp.doc(
        description="Bars sorted by size with cumulative shares, the 80 % threshold and the "
        "vital few."
    )
    def get(self, **_args: Any) -> Any:
        return _report("pareto")
