"""Likely duplicate customers and the merge screen (supervisors and admins)."""

from flask import Blueprint, Flask

bp = Blueprint("merge", __name__, url_prefix="/duplicates")

from web.merge import views  # noqa: E402, F401  (views register on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
