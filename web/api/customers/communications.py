"""A customer's communication records and merged timeline over the API."""

from typing import Any

import marshmallow as ma
from flask import abort, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Communication, CommunicationChannel
from web.access import acting_user
from web.api import records
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    idempotent,
    with_etag,
)
from web.api.customers.profiles import get_customer_or_404
from web.api.customers.transactions import TransactionSchema
from web.clocks import current_clock
from web.extensions import db
from web.privacy.reads import note_access
from web.requirements.access import (
    may_read_communication,
    readable,
    readable_communications,
)
from workflows.customers import timelines
from workflows.tracking import conversations

blp = Blueprint(
    "api_communications",
    __name__,
    url_prefix="/api/v1",
    description="Communication records: visits, calls, meetings, email, SMS and notes",
)


class CommunicationSchema(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    channel = ma.fields.Function(lambda c: c.channel.value)
    direction = ma.fields.Function(lambda c: c.direction.value)
    occurred_at = ma.fields.AwareDateTime()
    duration_seconds = ma.fields.Integer(allow_none=True)
    subject = ma.fields.String(allow_none=True)
    body_html = ma.fields.String(allow_none=True, metadata={"description": "Sanitised HTML."})
    body_text = ma.fields.String(allow_none=True)
    author_id = ma.fields.Integer(allow_none=True)
    participants = ma.fields.List(ma.fields.String())
    requirement_id = ma.fields.Integer(allow_none=True)
    strategy_id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The outreach strategy that sent it."}
    )
    strategy_step_index = ma.fields.Integer(
        allow_none=True, metadata={"description": "Its step (0-based, as in `steps`)."}
    )
    strategy_variant = ma.fields.String(
        allow_none=True, metadata={"description": "Its A/B variant, if the step has variants."}
    )
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    version = ma.fields.Integer()


class CommunicationInSchema(ma.Schema):
    """Validated by the workflow, which names every bad field in one 422."""

    class Meta:
        unknown = ma.INCLUDE

    channel = ma.fields.Raw(
        metadata={"type": "string", "enum": [c.value for c in CommunicationChannel]}
    )
    direction = ma.fields.Raw(
        metadata={"type": "string", "enum": ["inbound", "outbound", "internal"]}
    )
    occurred_at = ma.fields.Raw(
        metadata={
            "type": "string",
            "description": "ISO 8601; without an offset it is read in your time zone. "
            "Default: now.",
        }
    )
    duration_seconds = ma.fields.Raw(metadata={"type": "integer"})
    duration_minutes = ma.fields.Raw(metadata={"type": "integer"})
    subject = ma.fields.Raw(metadata={"type": "string"})
    body = ma.fields.Raw(metadata={"type": "string", "description": "Plain text or HTML."})
    participants = ma.fields.Raw(metadata={"type": "array", "items": {"type": "string"}})
    requirement_id = ma.fields.Raw(metadata={"type": "integer"})


class ListQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    before = ma.fields.String(metadata={"description": "`next_cursor` of the previous page."})


class CommunicationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CommunicationSchema))
    next_cursor = ma.fields.String(allow_none=True)


class TimelineQuerySchema(ListQuerySchema):
    kind = ma.fields.List(
        ma.fields.String(validate=ma.validate.OneOf(timelines.TIMELINE_KINDS)),
        metadata={"description": "Keep only these sources (repeat the parameter)."},
    )
    channel = ma.fields.List(ma.fields.String(), metadata={"description": "Communications only."})


class TimelineItemSchema(ma.Schema):
    kind = ma.fields.String()
    at = ma.fields.AwareDateTime()
    id = ma.fields.Integer()
    record = ma.fields.Dict()


class TimelinePageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TimelineItemSchema))
    next_cursor = ma.fields.String(allow_none=True)


def _viewer_zone() -> str:
    return getattr(acting_user(), "time_zone", None) or "UTC"


def _get_or_404(communication_id: int, *, deleted: bool = False) -> Communication:
    communication = db.session.get(Communication, communication_id)
    if communication is None or (communication.deleted_at is not None) != deleted:
        abort(404, "No such communication record.")
    if not may_read_communication(communication):  # linked to a requirement hidden from them
        abort(404, "No such communication record.")
    if communication.customer.deleted_at is not None:
        abort(404, "This record's customer is in the trash.")
    return communication


@blp.route("/customers/<int:customer_id>/communications")
class CustomerCommunications(MethodView):
    @blp.arguments(ListQuerySchema, location="query")
    @blp.response(200, CommunicationPageSchema)
    def get(self, args: dict[str, Any], customer_id: int) -> Any:
        """The customer's records, newest first, one cursor page at a time."""
        get_customer_or_404(customer_id, deleted=None)
        note_access(customer_id, "view", via="api", detail="communications")
        page = timelines.timeline(
            db.session,
            customer_id,
            requirements_readable=readable(),
            communications_readable=readable_communications(),
            kinds={"communication"},
            limit=args["limit"],
            before=args.get("before"),
        )
        return {"items": [i.record for i in page.items], "next_cursor": page.next_cursor}

    @idempotent
    @blp.arguments(CommunicationInSchema)
    @blp.response(201, CommunicationSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any], customer_id: int) -> Any:
        """Log a record (any agent); times without an offset are read in your time zone."""
        customer = get_customer_or_404(customer_id)
        communication = conversations.log_communication(
            db.session,
            customer,
            data,
            actor_id=acting_user().id,
            clock=current_clock(),
            viewer_zone=_viewer_zone(),
        )
        db.session.commit()
        location = url_for(
            "api_communications.CommunicationById", communication_id=communication.id
        )
        return with_etag(communication, communication.version, 201, Location=location)


records.register(
    blp,
    records.Record(
        name="Communication",
        path="/communications/<int:communication_id>",
        schema=CommunicationSchema,
        in_schema=CommunicationInSchema,
        load=_get_or_404,
        update=conversations.update_communication,
        delete=conversations.delete_communication,
        restore=conversations.restore_communication,
        update_options=lambda: {"viewer_zone": _viewer_zone()},
        docs={
            "delete": "Delete a record (supervisors and admins); kept in the audit log. "
            "Needs If-Match."
        },
    ),
)


# Built once: a schema per timeline entry deep-copied its fields every time.
_COMMUNICATION = CommunicationSchema()
_TRANSACTION = TransactionSchema()


def _timeline_record(kind: str, record: Any) -> dict[str, Any]:
    if kind == "communication":
        return _COMMUNICATION.dump(record)
    if kind == "transaction":
        return _TRANSACTION.dump(record)
    if kind == "requirement":
        return {
            "requirement_id": record.requirement_id,
            "title": record.requirement.title,
            "trigger": record.trigger,
            "from_state": record.from_state,
            "to_state": record.to_state,
            "actor_id": record.actor_id,
            "timer_id": record.timer_id,
            "note": record.note,
        }
    return {"action": record.action, "actor_id": record.actor_id, "note": record.note}


@blp.route("/customers/<int:customer_id>/timeline")
class CustomerTimeline(MethodView):
    @blp.arguments(TimelineQuerySchema, location="query")
    @blp.response(200, TimelinePageSchema)
    def get(self, args: dict[str, Any], customer_id: int) -> Any:
        """Communications, transactions and customer events merged, newest first."""
        get_customer_or_404(customer_id, deleted=None)
        note_access(customer_id, "view", via="api", detail="timeline")
        page = timelines.timeline(
            db.session,
            customer_id,
            requirements_readable=readable(),
            communications_readable=readable_communications(),
            kinds=set(args.get("kind") or []) or None,
            channels=set(args.get("channel") or []) or None,
            limit=args["limit"],
            before=args.get("before"),
        )
        return timeline_body(page)


def timeline_body(page: timelines.TimelinePage) -> dict[str, Any]:
    items = [
        {"kind": i.kind, "at": i.at, "id": i.id, "record": _timeline_record(i.kind, i.record)}
        for i in page.items
    ]
    return {"items": items, "next_cursor": page.next_cursor}
