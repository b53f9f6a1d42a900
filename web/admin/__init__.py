"""Admin pages: users, teams, the outbox, custom fields, stages, requirement categories,
calendars and SLA policies."""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")

from web.admin import (  # noqa: E402, F401  (views register on bp)
    calendars,
    categories,
    custom_fields,
    outbox,
    sla_policies,
    stages,
    teams,
    users,
)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
