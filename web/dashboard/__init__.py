"""The home page after sign-in: today's work for the viewer's role — an agent's own
requirements by SLA urgency, waiting on the customer and just written on by the customer; for
supervisors and admins also the team's backlog, breaches today, unassigned work and each
agent's load, with links into the queues filtered to match (workflows.tracking.workload)."""

from flask import Blueprint, Flask, render_template
from flask_login import current_user, login_required

from models import Customer, Role, User
from web.access import can
from web.clocks import current_clock
from web.extensions import db
from web.requirements import queries
from workflows.tracking import escalations, workload

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index() -> str:
    user = current_user._get_current_object()
    clock = current_clock()
    mine = workload.agent_home(db.session, user, clock=clock)
    team = scope = None
    shown = [
        *(r for s in mine.urgent.values() for r in s.rows),
        *mine.waiting.rows,
        *mine.customer_wrote.rows,
    ]
    user_ids: set[int] = set()
    if can(user, Role.SUPERVISOR):
        scope = escalations.supervised_team_ids(db.session, user)
        team = workload.team_home(db.session, user, scope, clock=clock)
        shown += team.unassigned.rows
        user_ids = {load.user_id for load in team.loads}
    customers = queries.names_by_id(
        db.session, Customer.id, Customer.name, {r.customer_id for r in shown}
    )
    return render_template(
        "dashboard/index.html",
        mine=mine,
        team=team,
        # The queue that holds a supervisor's scope: their teams, or everything for admins.
        team_queue="all" if scope is None else "team",
        customers=customers,
        users=queries.names_by_id(db.session, User.id, User.name, user_ids),
        urgencies=workload.URGENCIES,
        waiting_state=workload.WAITING_STATE,
        now=clock.now(),
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
