"""Organisation pages: the list, the organisation page, new/edit forms and the trash."""

from flask import Blueprint, Flask

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

from web.organisations import edit, pages, trash  # noqa: E402, F401  (views on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
