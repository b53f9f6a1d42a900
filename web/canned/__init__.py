"""Canned responses: list, write and edit an agent's own and their teams' reply texts."""

from flask import Blueprint, Flask

bp = Blueprint("canned", __name__, url_prefix="/canned-responses")

from web.canned import views  # noqa: E402, F401  (views register on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
