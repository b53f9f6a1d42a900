"""Admin pages: users, teams and the outbox."""

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")

from web.admin import (  # noqa: E402, F401  (views register on bp)
    custom_fields,
    outbox,
    stages,
    teams,
    users,
)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
