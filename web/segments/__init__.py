"""Segment pages: save the list's filters under a name, list, rename and delete segments."""

from flask import Blueprint, Flask

bp = Blueprint("segments", __name__, url_prefix="/segments")

from web.segments import views  # noqa: E402, F401  (views on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
