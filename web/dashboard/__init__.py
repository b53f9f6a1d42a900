"""The landing page after sign-in."""

from flask import Blueprint, Flask, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, select

from models import OutboxMessage, Team, User
from web.extensions import db

bp = Blueprint("dashboard", __name__)


@bp.get("/")
@login_required
def index() -> str:
    counts = {
        "users": db.session.scalar(select(func.count()).select_from(User).where(User.is_active)),
        "teams": db.session.scalar(select(func.count()).select_from(Team)),
    }
    outbox = dict(
        db.session.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        ).all()
    )
    return render_template(
        "dashboard/index.html", counts=counts, outbox=outbox, teams=current_user.teams
    )


def register(app: Flask) -> None:
    app.register_blueprint(bp)
