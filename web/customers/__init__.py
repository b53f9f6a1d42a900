"""Customer pages: the list, the 360 page, new/edit forms, trash and history."""

from flask import Blueprint, Flask

bp = Blueprint("customers", __name__, url_prefix="/customers")

from web.customers import edit, history, listing, money, show, trash  # noqa: E402, F401  (views on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
