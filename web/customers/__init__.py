"""Customer pages: the list, the 360 page, new/edit forms, trash and history."""

from flask import Blueprint, Flask

bp = Blueprint("customers", __name__, url_prefix="/customers")

from web.customers import (  # noqa: E402, F401  (views on bp)
    communication_edit,
    edit,
    history,
    listing,
    money,
    show,
    trash,
)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
