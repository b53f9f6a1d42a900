"""Privacy pages: export a customer's data, erase a customer (with legal holds), reveal masked
contact points, the admins' access log and retention policies. Also the one place that writes
the customer access log for pages and the API (`note_access`)."""

from flask import Blueprint, Flask

bp = Blueprint("privacy", __name__)

from web.privacy import admin, masks, reads, views  # noqa: E402, F401  (views register on bp)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    reads.install(app)
    masks.install(app)
