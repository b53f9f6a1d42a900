"""Requirement pages: the agent queues with bulk actions, the requirement page, the new-requirement
form, the admin's workflow diagrams and the supervisors' live escalation queue."""

from flask import Blueprint, Flask

bp = Blueprint("requirements", __name__)
escalations_bp = Blueprint("escalations", __name__, url_prefix="/escalations")

from web.requirements import (  # noqa: E402, F401  (views register on the blueprints)
    composer,
    details,
    diagrams,
    escalations,
    mentions,
    new,
    queues,
    show,
    views,
)


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.register_blueprint(escalations_bp)
    app.context_processor(escalations.navigation_counts)
