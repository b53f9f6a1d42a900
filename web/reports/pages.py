"""The report pages and their JSON."""

from typing import Any

from flask import jsonify, render_template, request
from sqlalchemy import select

from models import Priority, Role, SlaPolicy, Team, User
from web.access import acting_user, role_required
from web.extensions import db
from web.reports import bp
from web.reports.data import build, today_in, viewer_zone_name
from web.reports.drilldown import backlog_links, created_links
from workflows.analytics import pareto
from workflows.tracking.requirements import WORKFLOWS


def _choices() -> dict[str, Any]:
    return {
        "teams": db.session.execute(select(Team.id, Team.name).order_by(Team.name)).all(),
        "agents": db.session.execute(
            select(User.id, User.name).where(User.is_active).order_by(User.name)
        ).all(),
        "policies": db.session.execute(
            select(SlaPolicy.id, SlaPolicy.name).order_by(SlaPolicy.position)
        ).all(),
        "priorities": [p.value for p in Priority],
        "workflows": list(WORKFLOWS),
        "dimensions": pareto.DIMENSIONS,
    }


def _page(kind: str) -> str:
    report = build(kind, request.args, acting_user())
    return render_template(
        f"reports/{kind}.html",
        kind=kind,
        report=report,
        links=created_links(report) if kind == "support" else None,
        open_now=(
            backlog_links(report, today_in(report["range"]["time_zone"]))
            if kind == "support"
            else None
        ),
        args=request.args,
        zone=viewer_zone_name(request.args, acting_user()),
        **_choices(),
    )


@bp.get("/support")
@role_required(Role.SUPERVISOR)
def support() -> str:
    return _page("support")


@bp.get("/sales")
@role_required(Role.SUPERVISOR)
def sales() -> str:
    return _page("sales")


@bp.get("/pareto")
@role_required(Role.SUPERVISOR)
def pareto_page() -> str:
    return _page("pareto")


@bp.get("/<any(support, sales, pareto):kind>/data")
@role_required(Role.SUPERVISOR)
def data(kind: str) -> Any:
    return jsonify(build(kind, request.args, acting_user()))
