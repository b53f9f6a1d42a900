"""Admin pages: users, teams, the outbox, custom fields, stages, requirement categories,
calendars and SLA policies."""

from flask import Blueprint, Flask

from web.page_words import JINJA_GLOBALS

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
    app.jinja_env.globals.update(JINJA_GLOBALS)
    app.jinja_env.filters["option_words"] = JINJA_GLOBALS["option_words"]
