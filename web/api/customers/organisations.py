"""Organisations over the API: list, create, read (ETag), edit and trash (If-Match), restore."""

import base64
import binascii
import json
from typing import Any

import marshmallow as ma
from flask import abort, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from models import Customer, Organisation, Role
from web.access import acting_user
from web.api import records
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    idempotent,
    require_role,
    with_etag,
)
from web.api.customers.communications import TimelinePageSchema, TimelineQuerySchema, timeline_body
from web.clocks import current_clock
from web.extensions import db
from web.phones import phone_region, with_phone_region
from web.request_cache import recall, remember
from web.requirements.access import readable, readable_communications
from workflows.customers import organisations, timelines
from workflows.platform.errors import ValidationFailed

blp = Blueprint("api_organisations", __name__, url_prefix="/api/v1", description="Organisations")


class OrganisationSchema(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    website = ma.fields.String(allow_none=True)
    phone = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    notes = ma.fields.String(allow_none=True)
    owner_id = ma.fields.Integer(allow_none=True)
    custom = ma.fields.Dict()
    customer_count = ma.fields.Function(lambda o: _customer_count(o))
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    deleted_at = ma.fields.AwareDateTime(allow_none=True)
    version = ma.fields.Integer()


class OrganisationInSchema(ma.Schema):
    """Validated by the workflow, which names every bad field in one 422."""

    class Meta:
        unknown = ma.INCLUDE

    name = ma.fields.Raw(metadata={"type": "string", "description": "Required on create."})
    website = ma.fields.Raw(metadata={"type": "string"})
    phone = ma.fields.Raw(metadata={"type": "string", "description": "International form."})
    address = ma.fields.Raw(metadata={"type": "string"})
    notes = ma.fields.Raw(metadata={"type": "string"})
    owner_id = ma.fields.Raw(metadata={"type": "integer"})
    custom = ma.fields.Raw(metadata={"type": "object"})


class OrganisationQuerySchema(ma.Schema):
    q = ma.fields.String(metadata={"description": "Part of the name, any case."})
    trash = ma.fields.Boolean(load_default=False)
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    cursor = ma.fields.String(metadata={"description": "`next_cursor` of the previous page."})


class OrganisationPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OrganisationSchema))
    next_cursor = ma.fields.String(allow_none=True)


CUSTOMER_COUNTS = "organisations:customer_counts"  # request cache: a page's live customers


def _customer_counts(ids: list[int]) -> dict[int, int]:
    """Live customers per organisation, counted in SQL (loading them took a query and every
    customer row per organisation)."""
    counts = dict.fromkeys(ids, 0)
    if ids:
        counts |= dict(
            db.session.execute(
                select(Customer.organisation_id, func.count())
                .where(Customer.organisation_id.in_(ids), Customer.deleted_at.is_(None))
                .group_by(Customer.organisation_id)
            ).all()
        )
    return counts


def _customer_count(organisation: Organisation) -> int:
    preloaded = recall(CUSTOMER_COUNTS)
    if preloaded is not None and organisation.id in preloaded:
        return preloaded[organisation.id]
    return _customer_counts([organisation.id])[organisation.id]


def _get_or_404(organisation_id: int, *, deleted: bool = False) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None or (organisation.deleted_at is not None) != deleted:
        abort(404, "No such organisation.")
    return organisation


def _encode(organisation: Organisation) -> str:
    raw = json.dumps([organisation.name, organisation.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str) -> tuple[str, int]:
    try:
        name, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(name, str) or not isinstance(ident, int):
            raise ValueError(cursor)
    except (ValueError, TypeError, binascii.Error) as exc:
        raise ValidationFailed.field("cursor", "This page link is invalid.") from exc
    return name, ident


@blp.route("/organisations")
class Organisations(MethodView):
    @blp.arguments(OrganisationQuerySchema, location="query")
    @blp.response(200, OrganisationPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Organisations by name, one cursor page at a time."""
        if args["trash"]:
            require_role(Role.SUPERVISOR)
        deleted = Organisation.deleted_at
        query = select(Organisation).where(
            deleted.is_not(None) if args["trash"] else deleted.is_(None)
        )
        if q := (args.get("q") or "").strip():
            query = query.where(organisations.name_matches(q))
        if args.get("cursor"):
            name, ident = _decode(args["cursor"])
            query = query.where(
                (Organisation.name > name)
                | ((Organisation.name == name) & (Organisation.id > ident))
            )
        rows = list(
            db.session.scalars(
                query.order_by(Organisation.name, Organisation.id).limit(args["limit"] + 1)
            )
        )
        more = len(rows) > args["limit"]
        rows = rows[: args["limit"]]
        remember(CUSTOMER_COUNTS, _customer_counts([o.id for o in rows]))
        return {"items": rows, "next_cursor": _encode(rows[-1]) if more else None}

    @idempotent
    @blp.arguments(OrganisationInSchema)
    @blp.response(201, OrganisationSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Create an organisation (any agent)."""
        organisation = organisations.create_organisation(
            db.session,
            data,
            actor_id=acting_user().id,
            clock=current_clock(),
            default_region=phone_region(),
        )
        db.session.commit()
        location = url_for("api_organisations.OrganisationById", organisation_id=organisation.id)
        return with_etag(organisation, organisation.version, 201, Location=location)


records.register(
    blp,
    records.Record(
        name="Organisation",
        path="/organisations/<int:organisation_id>",
        schema=OrganisationSchema,
        in_schema=OrganisationInSchema,
        load=_get_or_404,
        update=with_phone_region(organisations.update_organisation),
        delete=organisations.delete_organisation,
        restore=organisations.restore_organisation,
        docs={"restore": "Bring an organisation back from the trash (supervisors and admins)."},
    ),
)


@blp.route("/organisations/<int:organisation_id>/timeline")
class OrganisationTimeline(MethodView):
    @blp.arguments(TimelineQuerySchema, location="query")
    @blp.response(200, TimelinePageSchema)
    def get(self, args: dict[str, Any], organisation_id: int) -> Any:
        """Every member's communications and transactions, and the organisation's events,
        newest first, one cursor page at a time."""
        _get_or_404(organisation_id)
        page = timelines.organisation_timeline(
            db.session,
            organisation_id,
            requirements_readable=readable(),
            communications_readable=readable_communications(),
            kinds=set(args.get("kind") or []) or None,
            channels=set(args.get("channel") or []) or None,
            limit=args["limit"],
            before=args.get("before"),
        )
        return timeline_body(page)
