"""CSV import (upload, mapping, dry run, progress) and streamed CSV export of customers."""

from flask import Blueprint, Flask

bp = Blueprint("imports", __name__)

from web.imports import export, views  # noqa: E402, F401  (views register on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
