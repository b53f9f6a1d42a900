"""Who may change a segment: its owner, supervisors and admins (as the API's PATCH)."""

from flask import abort
from flask_babel import gettext as _

from models import Role, Segment, User
from web.access import acting_user, can
from web.extensions import db


def can_change(user: User | None, segment: Segment) -> bool:
    return can(user, Role.AGENT) and (
        segment.owner_id == user.id or can(user, Role.SUPERVISOR)  # type: ignore[union-attr]
    )


def get_segment_or_404(segment_id: int) -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        abort(404)
    return segment


def get_changeable_segment_or_403(segment_id: int) -> Segment:
    segment = get_segment_or_404(segment_id)
    if not can_change(acting_user(), segment):
        abort(403, _("Only the segment's owner or a supervisor can change it."))
    return segment
