"""Customers over the API: list and search with the UI's filters and cursor pages, create,
read (with ETag), edit (If-Match), trash and restore."""

from datetime import UTC
from typing import Any

import marshmallow as ma
from flask import abort, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import Customer, Role, Segment
from web.access import acting_user, can
from web.api import records
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    idempotent,
    require_role,
    with_etag,
)
from web.clocks import current_clock
from web.extensions import db
from web.phones import phone_region, with_phone_region
from web.privacy.masks import shown_email, shown_phone
from web.privacy.reads import note_access
from workflows.customers import addresses, profiles, segments, transactions
from workflows.customers.queries import MAX_LIMIT, SORTS, CustomerFilter, list_customers

blp = Blueprint("api_customers", __name__, url_prefix="/api/v1", description="Customers (people)")


def get_customer_or_404(customer_id: int, *, deleted: bool | None = False) -> Customer:
    """`deleted=False`: live only; `True`: trashed only; `None`: either, for supervisors and
    admins (who have the trash) — agents get 404 for a trashed customer, as on the pages."""
    if deleted is None and not can(acting_user(), Role.SUPERVISOR):
        deleted = False
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        abort(404, "No such customer.")
    if deleted is not None and (customer.deleted_at is not None) != deleted:
        abort(404, "No such customer." if not deleted else "This customer is not in the trash.")
    return customer


def _consent(customer: Customer) -> dict[str, Any]:
    latest: dict[str, Any] = {}
    for consent in customer.consents:
        latest[consent.channel.value] = {
            "granted": consent.is_granted,
            "at": consent.at.isoformat(),
            "method": consent.method,
        }
    return latest


class CustomerSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    # Masked (a***@example.com) for roles in MASKED_ROLES; POST …/reveal gives them in full.
    primary_email = ma.fields.Function(
        lambda c: shown_email(c.id, c.primary_email), metadata={"type": "string", "nullable": True}
    )
    emails = ma.fields.Function(
        lambda c: [shown_email(c.id, e.email) for e in c.emails],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    phones = ma.fields.Function(
        lambda c: [shown_phone(c.id, p.e164) for p in c.phones],
        metadata={"type": "array", "items": {"type": "string"}},
    )
    organisation_id = ma.fields.Integer(allow_none=True)
    owner_id = ma.fields.Integer(allow_none=True)
    stage = ma.fields.Function(lambda c: c.stage.key if c.stage else None)
    time_zone = ma.fields.String(allow_none=True)
    language = ma.fields.String(allow_none=True)
    address_line = ma.fields.String(allow_none=True)
    district = ma.fields.String(allow_none=True)
    city = ma.fields.String(allow_none=True)
    region = ma.fields.String(allow_none=True)
    postal_code = ma.fields.String(allow_none=True)
    country = ma.fields.String(allow_none=True)
    address = ma.fields.Function(
        addresses.as_dict,
        metadata={
            "description": "The address as written in its country's layout: `cn` (CN: "
            "province, city, district, street, postal code) or `western`.",
            "type": "object",
        },
    )
    notes = ma.fields.String(allow_none=True)
    tags = ma.fields.Function(lambda c: [t.name for t in c.tags])
    custom = ma.fields.Dict()
    consent = ma.fields.Function(
        _consent, metadata={"description": "Latest grant or withdrawal per channel."}
    )
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    last_contacted_at = ma.fields.AwareDateTime(allow_none=True)
    deleted_at = ma.fields.AwareDateTime(allow_none=True)
    version = ma.fields.Integer(metadata={"description": "Also the ETag; send it as If-Match."})


def _lifetime_value(customer: Customer) -> dict[str, str]:
    value = transactions.lifetime_value(db.session, customer.id)
    return {currency: transactions.amount_text(amount) for currency, amount in value.items()}


def _last_purchase_on(customer: Customer) -> str | None:
    day = transactions.last_purchase_on(db.session, customer.id)
    return day.isoformat() if day else None


class CustomerDetailSchema(CustomerSchema):
    lifetime_value = ma.fields.Function(
        _lifetime_value,
        metadata={
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "Net revenue per ISO 4217 currency as decimal strings: completed "
            "payments (else invoices, else orders) minus completed refunds.",
        },
    )
    last_purchase_on = ma.fields.Function(
        _last_purchase_on, metadata={"type": "string", "format": "date", "nullable": True}
    )


class CustomerInSchema(ma.Schema):
    """Validated by the workflow, which names every bad field in one 422."""

    class Meta:
        unknown = ma.INCLUDE  # refused by name ("Unknown field."), never silently dropped

    name = ma.fields.Raw(metadata={"type": "string", "description": "Required on create."})
    emails = ma.fields.Raw(metadata={"description": "List (or comma-separated); first is primary."})
    phones = ma.fields.Raw(metadata={"description": "List of numbers in any format; stored E.164."})
    organisation_id = ma.fields.Raw(metadata={"type": "integer"})
    owner_id = ma.fields.Raw(metadata={"type": "integer"})
    stage = ma.fields.Raw(metadata={"type": "string", "description": "A lifecycle stage key."})
    time_zone = ma.fields.Raw(metadata={"type": "string", "description": "IANA name."})
    language = ma.fields.Raw(metadata={"type": "string"})
    address_line = ma.fields.Raw(metadata={"type": "string", "description": "Street (街道)."})
    district = ma.fields.Raw(metadata={"type": "string", "description": "District (区/县)."})
    city = ma.fields.Raw(metadata={"type": "string"})
    region = ma.fields.Raw(metadata={"type": "string", "description": "State or province (省)."})
    postal_code = ma.fields.Raw(metadata={"type": "string"})
    country = ma.fields.Raw(metadata={"type": "string", "description": "ISO 3166 alpha-2."})
    notes = ma.fields.Raw(metadata={"type": "string"})
    tags = ma.fields.Raw(metadata={"description": "List of tag names."})
    custom = ma.fields.Raw(metadata={"type": "object", "description": "Custom field values."})


class CustomerQuerySchema(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE  # custom.<key>=value filters are read separately

    q = ma.fields.String(metadata={"description": "Full-text search (names, emails, phones…)."})
    owner_id = ma.fields.Integer()
    tag = ma.fields.String()
    stage = ma.fields.String()
    organisation_id = ma.fields.Integer()
    created_from = ma.fields.AwareDateTime(default_timezone=UTC)
    created_to = ma.fields.AwareDateTime(default_timezone=UTC)
    last_contacted_from = ma.fields.AwareDateTime(default_timezone=UTC)
    last_contacted_to = ma.fields.AwareDateTime(default_timezone=UTC)
    trash = ma.fields.Boolean(load_default=False)
    sort = ma.fields.String(validate=ma.validate.OneOf(SORTS))
    limit = ma.fields.Integer(load_default=25, validate=ma.validate.Range(1, MAX_LIMIT))
    cursor = ma.fields.String(metadata={"description": "`next_cursor` of the previous page."})


class CustomerPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CustomerSchema))
    next_cursor = ma.fields.String(allow_none=True)
    highlights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    sort = ma.fields.String()


@blp.route("/customers")
class Customers(MethodView):
    @blp.arguments(CustomerQuerySchema, location="query")
    @blp.response(200, CustomerPageSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """Customers matching the filters, one cursor page at a time.

        Custom field filters: `custom.<key>=value` (repeat for several fields)."""
        if args["trash"]:
            require_role(Role.SUPERVISOR)
        custom = {k[7:]: v for k, v in request.args.items() if k.startswith("custom.") and k[7:]}
        flt = CustomerFilter(
            custom=custom,
            **{k: args.get(k) for k in CustomerFilter.__dataclass_fields__ if k in args},
        )
        page = list_customers(
            db.session, flt, sort=args.get("sort"), limit=args["limit"], cursor=args.get("cursor")
        )
        return {
            "items": page.items,
            "next_cursor": page.next_cursor,
            "highlights": {str(k): v for k, v in page.highlights.items()},
            "sort": page.sort,
        }

    @idempotent
    @blp.arguments(CustomerInSchema)
    @blp.response(201, CustomerDetailSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Create a customer (any agent); 422 names every bad field and nothing is saved."""
        customer = profiles.create_customer(
            db.session,
            data,
            actor_id=acting_user().id,
            clock=current_clock(),
            default_region=phone_region(),
        )
        db.session.commit()
        location = url_for("api_customers.CustomerById", customer_id=customer.id)
        return with_etag(customer, customer.version, 201, Location=location)


records.register(
    blp,
    records.Record(
        name="Customer",
        path="/customers/<int:customer_id>",
        schema=CustomerDetailSchema,
        in_schema=CustomerInSchema,
        load=get_customer_or_404,
        update=with_phone_region(profiles.update_customer),
        delete=profiles.delete_customer,
        restore=profiles.restore_customer,
        read_deleted=None,
        on_read=lambda customer: note_access(customer.id, "view", via="api"),
        docs={
            "get": "One customer, with an ETag; supervisors and admins also read trashed ones "
            "(see `deleted_at`), agents get 404 for them.",
            "patch": "Change the fields sent; needs If-Match (428 without, 412 when stale).",
            "restore": "Bring a customer back from the trash (supervisors and admins).",
        },
    ),
)


# ---------------------------------------------------------------- segments (saved filters)


class SegmentSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.Raw(required=True, metadata={"type": "string"})
    owner_id = ma.fields.Integer(dump_only=True, allow_none=True)
    definition = ma.fields.Raw(
        required=True,
        metadata={
            "type": "object",
            "description": "Filter fields as in GET /customers: q, owner_id, tag, stage, "
            "organisation_id, custom, created_from/_to, last_contacted_from/_to (ISO 8601 "
            "with offset), trash.",
        },
    )
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)


class SegmentUpdateSchema(ma.Schema):
    name = ma.fields.Raw(metadata={"type": "string"})
    definition = ma.fields.Raw(metadata={"type": "object"})


class SegmentCustomersQuerySchema(ma.Schema):
    sort = ma.fields.String(validate=ma.validate.OneOf(SORTS))
    limit = ma.fields.Integer(load_default=25, validate=ma.validate.Range(1, MAX_LIMIT))
    cursor = ma.fields.String()


def _segment_or_404(segment_id: int) -> Segment:
    segment = db.session.get(Segment, segment_id)
    if segment is None:
        abort(404, "No such segment.")
    return segment


@blp.route("/segments")
class Segments(MethodView):
    @blp.response(200, SegmentSchema(many=True))
    def get(self) -> Any:
        """Every saved filter, by name."""
        return list(db.session.scalars(select(Segment).order_by(Segment.name, Segment.id)))

    @idempotent
    @blp.arguments(SegmentSchema)
    @blp.response(201, SegmentSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Save a filter under a name (any agent; the caller owns it)."""
        flt = segments.from_definition(data["definition"])
        segment = segments.create_segment(
            db.session, data["name"], flt, owner_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return segment


@blp.route("/segments/<int:segment_id>")
class SegmentById(MethodView):
    @blp.response(200, SegmentSchema)
    def get(self, segment_id: int) -> Any:
        return _segment_or_404(segment_id)

    @blp.arguments(SegmentUpdateSchema)
    @blp.response(200, SegmentSchema)
    def patch(self, data: dict[str, Any], segment_id: int) -> Any:
        """Rename or change the filter (its owner, supervisors and admins)."""
        segment = _segment_or_404(segment_id)
        if segment.owner_id != acting_user().id:
            require_role(Role.SUPERVISOR)
        flt = segments.from_definition(data["definition"]) if "definition" in data else None
        segments.update_segment(
            db.session, segment, clock=current_clock(), name=data.get("name"), flt=flt
        )
        db.session.commit()
        return segment


@blp.route("/segments/<int:segment_id>/customers")
class SegmentCustomers(MethodView):
    @blp.arguments(SegmentCustomersQuerySchema, location="query")
    @blp.response(200, CustomerPageSchema)
    def get(self, args: dict[str, Any], segment_id: int) -> Any:
        """The customers in the segment now, one cursor page at a time."""
        flt = segments.filter_of(_segment_or_404(segment_id))
        if flt.trash:
            require_role(Role.SUPERVISOR)
        page = list_customers(
            db.session, flt, sort=args.get("sort"), limit=args["limit"], cursor=args.get("cursor")
        )
        return {
            "items": page.items,
            "next_cursor": page.next_cursor,
            "highlights": {str(k): v for k, v in page.highlights.items()},
            "sort": page.sort,
        }
