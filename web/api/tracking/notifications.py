"""The caller's notifications: list (newest first, by cursor), mark read, and their channel
per event (workflows.tracking.notifications)."""

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from web.access import acting_user
from web.clocks import current_clock
from web.extensions import db
from workflows.tracking import notifications
from workflows.tracking.notification_preferences import (
    EVENTS,
    Channels,
    preferences,
    set_preferences,
)

blp = Blueprint(
    "api-notifications",
    __name__,
    url_prefix="/api/v1",
    description="The caller's in-app notifications and notification preferences",
)
MAX_PAGE = 100
EVENT_HELP = f"One of: {', '.join(EVENTS)}"


class NotificationSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    event = ma.fields.String(dump_only=True, metadata={"description": EVENT_HELP})
    requirement_id = ma.fields.Integer(dump_only=True, allow_none=True)
    actor_id = ma.fields.Integer(dump_only=True, allow_none=True)
    title = ma.fields.String(dump_only=True, metadata={"description": "The requirement's title"})
    detail = ma.fields.String(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    read_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)


class NotificationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(NotificationSchema), dump_only=True)
    unread = ma.fields.Integer(
        dump_only=True, metadata={"description": "All unread, not this page's"}
    )
    more = ma.fields.Boolean(dump_only=True)


class ListArgs(ma.Schema):
    limit = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    before_id = ma.fields.Integer(
        validate=ma.validate.Range(min=1), metadata={"description": "Cursor: the last id seen"}
    )
    unread = ma.fields.Boolean(load_default=False, metadata={"description": "Only unread ones"})


class ReadSchema(ma.Schema):
    ids = ma.fields.List(
        ma.fields.Integer(validate=ma.validate.Range(min=1)),
        required=True,
        validate=ma.validate.Length(min=1, max=MAX_PAGE),
        metadata={"description": "Ids of the caller's notifications; others' are ignored"},
    )


class MarkedSchema(ma.Schema):
    marked = ma.fields.Integer(dump_only=True)
    unread = ma.fields.Integer(dump_only=True)


class ChannelsSchema(ma.Schema):
    in_app = ma.fields.Boolean(required=True)
    email = ma.fields.Boolean(required=True)


PreferencesSchema = ma.Schema.from_dict(
    {event: ma.fields.Nested(ChannelsSchema) for event in EVENTS}, name="PreferencesSchema"
)


def _marked(count: int) -> dict[str, int]:
    return {"marked": count, "unread": notifications.unread_count(db.session, acting_user().id)}


@blp.route("/notifications")
class Notifications(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, NotificationPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """The caller's notifications, newest first; page on with `before_id`."""
        user_id = acting_user().id
        rows, more = notifications.page_of(
            db.session,
            user_id,
            size=args["limit"],
            before_id=args.get("before_id"),
            unread_only=args["unread"],
        )
        return {
            "items": rows,
            "unread": notifications.unread_count(db.session, user_id),
            "more": more,
        }


@blp.route("/notifications/read")
class ReadSome(MethodView):
    @blp.arguments(ReadSchema)
    @blp.response(200, MarkedSchema)
    def post(self, data: dict[str, Any]) -> Any:
        """Mark the listed notifications of the caller read."""
        count = notifications.mark_read(
            db.session, acting_user().id, clock=current_clock(), notification_ids=data["ids"]
        )
        db.session.commit()
        return _marked(count)


@blp.route("/notifications/read-all")
class ReadAll(MethodView):
    @blp.response(200, MarkedSchema)
    def post(self) -> Any:
        """Mark every notification of the caller read."""
        count = notifications.mark_read(db.session, acting_user().id, clock=current_clock())
        db.session.commit()
        return _marked(count)


@blp.route("/notifications/preferences")
class Preferences(MethodView):
    @blp.response(200, PreferencesSchema)
    def get(self) -> Any:
        """For each event, whether the caller hears of it in the app and by email."""
        return {e: vars(c) for e, c in preferences(db.session, acting_user().id).items()}

    @blp.arguments(PreferencesSchema)
    @blp.response(200, PreferencesSchema)
    def put(self, data: dict[str, Any]) -> Any:
        """Set the channels of the events given; the others keep theirs."""
        user_id = acting_user().id
        set_preferences(db.session, user_id, {e: Channels(**c) for e, c in data.items()})
        db.session.commit()
        return {e: vars(c) for e, c in preferences(db.session, user_id).items()}
