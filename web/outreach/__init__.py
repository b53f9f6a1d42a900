"""Outreach pages: the strategy list, the builder, dry run and lifecycle buttons, enrolments;
and the public unsubscribe page that the links and one-click headers point at."""

from flask import Blueprint, Flask

bp = Blueprint("outreach", __name__, url_prefix="/strategies")
public = Blueprint("unsubscribe", __name__)

from web.outreach import builder, results, unsubscribe, views  # noqa: E402, F401  (views on the blueprints)


def register(app: Flask) -> None:
    from web.extensions import csrf

    app.register_blueprint(bp)
    # One-click unsubscribe (RFC 8058) is a POST from a mail client: no session, no CSRF token;
    # the signed token in the URL is the proof.
    csrf.exempt(public)
    app.register_blueprint(public)
