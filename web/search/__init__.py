"""The global search in the header: its results page and the dropdown's JSON."""

from flask import Blueprint, Flask

bp = Blueprint("search", __name__, url_prefix="/search")

from web.search import pages  # noqa: E402, F401  (views on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
