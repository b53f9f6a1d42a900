"""Requirements over the API: open, read, edit, move through the workflow, read events."""

from typing import Any

import marshmallow as ma
from flask import abort
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import Customer, Priority, Requirement, RequirementEvent, SlaClock
from web.access import acting_user
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    IF_MATCH_DOC,
    expected_version,
    idempotent,
    with_etag,
)
from web.clocks import current_clock
from web.extensions import db
from web.request_cache import recall, remember
from web.requirements import queries
from web.requirements.access import get_requirement_or_404, may_read, my_memberships, readable
from web.templating import zone_named
from workflows.customers.transactions import amount_text
from workflows.platform.errors import ValidationFailed
from workflows.tracking import requirements, search_index

blp = Blueprint(
    "api_requirements",
    __name__,
    url_prefix="/api/v1",
    description="Customer needs tracked through declared workflows",
)

MAX_PAGE = 100
PRELOADED_CLOCKS = "requirements:clocks"  # request cache: a list page's clocks by requirement
HIGHLIGHTS = "requirements:highlights"  # request cache: search snippets by requirement


def preload_clocks(rows: list[Requirement]) -> list[Requirement]:
    """Load the clocks of a whole page in one query for `_sla` (instead of one per row)."""
    found: dict[int, list[SlaClock]] = {r.id: [] for r in rows}
    if found:
        for clock in db.session.scalars(
            select(SlaClock).where(SlaClock.requirement_id.in_(found)).order_by(SlaClock.id)
        ):
            found[clock.requirement_id].append(clock)
    remember(PRELOADED_CLOCKS, found)
    return rows


class AmountText(ma.fields.Raw):
    """Loaded as sent (the workflow checks it and names the field); dumped as a decimal string
    ("1500.00"), never a JSON number."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else amount_text(value)


class DateText(ma.fields.Raw):
    """Loaded as sent (the workflow checks it); dumped as YYYY-MM-DD."""

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else value.isoformat()


AMOUNT_DOC = {
    "type": "string",
    "nullable": True,
    "example": "1500.00",
    "description": "Sales opportunities only: the expected value, a decimal string (or an "
    "integer), never negative, with at most the currency's decimal places; null or an empty "
    "string clears it. JSON numbers with a fraction are refused.",
}
CURRENCY_DOC = {
    "type": "string",
    "nullable": True,
    "example": "EUR",
    "description": "Sales opportunities only: ISO 4217 code of `amount` (required with it).",
}
CLOSE_DOC = {
    "type": "string",
    "format": "date",
    "nullable": True,
    "example": "2026-12-31",
    "description": "Sales opportunities only: the expected close date (the sales report's "
    "pipeline value groups by its month).",
}


class RequirementSchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    customer_id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=300))
    description = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    priority = ma.fields.Enum(Priority, by_value=True, load_default=Priority.NORMAL)
    origin_channel = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=20))
    workflow = ma.fields.String(
        load_default="support", validate=ma.validate.OneOf(list(requirements.WORKFLOWS))
    )
    assignee_id = ma.fields.Integer(allow_none=True)
    team_id = ma.fields.Integer(allow_none=True)
    amount = AmountText(allow_none=True, metadata=AMOUNT_DOC)
    currency = ma.fields.Raw(allow_none=True, metadata=CURRENCY_DOC)
    expected_close_on = DateText(allow_none=True, metadata=CLOSE_DOC)
    state = ma.fields.String(dump_only=True)
    state_seq = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(dump_only=True)
    resolution_note = ma.fields.String(dump_only=True, allow_none=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    resolved_at = ma.fields.AwareDateTime(dump_only=True, allow_none=True)
    tags = ma.fields.List(ma.fields.String(), dump_only=True)
    sla_policy_version_id = ma.fields.Integer(dump_only=True, allow_none=True)
    sla_due_at = ma.fields.AwareDateTime(
        dump_only=True, allow_none=True, metadata={"description": "Nearest due SLA time"}
    )
    sla = ma.fields.Method("_sla", dump_only=True, metadata={"description": "SLA clocks"})
    allowed_triggers = ma.fields.Method("_allowed", dump_only=True)
    highlight = ma.fields.Method(
        "_highlight",
        dump_only=True,
        allow_none=True,
        metadata={
            "type": "string",
            "description": "With `q` on the list: an HTML-safe snippet of the match, the "
            "words in <mark>; otherwise null",
        },
    )

    def _highlight(self, requirement: Requirement) -> str | None:
        return (recall(HIGHLIGHTS) or {}).get(requirement.id)

    def _sla(self, requirement: Requirement) -> list[dict[str, Any]]:
        preloaded = recall(PRELOADED_CLOCKS)
        if preloaded is not None and requirement.id in preloaded:
            rows = preloaded[requirement.id]
        else:
            rows = db.session.scalars(
                select(SlaClock)
                .where(SlaClock.requirement_id == requirement.id)
                .order_by(SlaClock.id)
            ).all()
        return CLOCKS_SCHEMA.dump(rows)

    def _allowed(self, requirement: Requirement) -> list[str]:
        user = acting_user()
        memberships = my_memberships(user) if user is not None else None
        return requirements.allowed_triggers(db.session, requirement, user, memberships)


class SlaClockSchema(ma.Schema):
    id = ma.fields.Integer()
    metric = ma.fields.String()
    cycle = ma.fields.Integer()
    status = ma.fields.String()
    target_seconds = ma.fields.Integer()
    used_seconds = ma.fields.Integer()
    started_at = ma.fields.AwareDateTime()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    warning_at = ma.fields.AwareDateTime(allow_none=True)
    warned_at = ma.fields.AwareDateTime(allow_none=True)
    met_at = ma.fields.AwareDateTime(allow_none=True)
    breached_at = ma.fields.AwareDateTime(allow_none=True)
    rung = ma.fields.Integer()
    acknowledged_rung = ma.fields.Integer()
    policy_version_id = ma.fields.Integer()
    history = ma.fields.List(ma.fields.Dict())


# One instance for every row: building a schema deep-copies its fields, which was ~40 % of the
# list's serialisation time when `_sla` made one per requirement (measured, 100 rows).
CLOCKS_SCHEMA = SlaClockSchema(many=True)


class RequirementUpdateSchema(ma.Schema):
    title = ma.fields.String(validate=ma.validate.Length(min=1, max=300))
    description = ma.fields.String(allow_none=True)
    category = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=80))
    priority = ma.fields.String(validate=ma.validate.OneOf([p.value for p in Priority]))
    assignee_id = ma.fields.Integer(allow_none=True)
    team_id = ma.fields.Integer(allow_none=True)
    tags = ma.fields.List(ma.fields.String())
    amount = ma.fields.Raw(allow_none=True, metadata=AMOUNT_DOC)
    currency = ma.fields.Raw(allow_none=True, metadata=CURRENCY_DOC)
    expected_close_on = ma.fields.Raw(allow_none=True, metadata=CLOSE_DOC)


class TransitionSchema(ma.Schema):
    trigger = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=40))
    note = ma.fields.String(allow_none=True, validate=ma.validate.Length(max=5000))
    merge_into_id = ma.fields.Integer(allow_none=True)


class EventSchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    actor_id = ma.fields.Integer(allow_none=True)
    timer_id = ma.fields.Integer(allow_none=True)
    trigger = ma.fields.String()
    from_state = ma.fields.String(allow_none=True)
    to_state = ma.fields.String()
    note = ma.fields.String(allow_none=True)


class ListArgs(ma.Schema):
    state = ma.fields.String()
    assignee_id = ma.fields.Integer()
    team_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    sla_status = ma.fields.String(
        validate=ma.validate.OneOf(queries.SLA_STATUSES),
        metadata={
            "description": "Only requirements with an SLA clock that is `breached` (marked, or "
            "past due and not yet marked), `at_risk` (past its warning, not yet due), "
            "`due_today` (due before midnight in the caller's time zone, not yet breached) or "
            "`paused` (waiting on the customer): the queues' SLA filter"
        },
    )
    limit = ma.fields.Integer(load_default=25, validate=ma.validate.Range(min=1, max=MAX_PAGE))
    before_id = ma.fields.Integer(metadata={"description": "Cursor: the last id of the page"})
    q = ma.fields.String(
        validate=ma.validate.Length(min=1, max=200),
        metadata={
            "description": "Search title, description and the text of linked communications "
            "(words of three or more characters, all must occur; any state unless `state` is "
            "given); the best matches first, up to `limit`, with `highlight`"
        },
    )


@blp.route("/requirements")
class Requirements(MethodView):
    @blp.arguments(ListArgs, location="query")
    @blp.response(200, RequirementSchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Requirements, newest first; filter by state, assignee, team, customer or SLA status;
        or search them with `q` (best matches first)."""
        query = select(Requirement).where(readable()).limit(args["limit"])
        terms = search_index.terms_of(args.get("q"))
        if "q" in args:
            if not terms:
                raise ValidationFailed.field("q", "Search words need at least three characters.")
            if "before_id" in args:
                raise ValidationFailed.field(
                    "before_id", "Search results are ranked, not paged: narrow the search."
                )
            match = search_index.match(db.session, terms)
            query = query.join(match.subquery, match.requirement_id == Requirement.id).order_by(
                match.rank, Requirement.id.desc()
            )
        else:
            query = query.order_by(Requirement.id.desc())
        for field in ("state", "assignee_id", "team_id", "customer_id"):
            if field in args:
                query = query.where(getattr(Requirement, field) == args[field])
        if "sla_status" in args:
            now = current_clock().now()
            user = acting_user()
            day_end = queries.end_of_day(now, zone_named(user.time_zone if user else None))
            query = query.where(queries.sla_condition(args["sla_status"], now, day_end))
        if "before_id" in args:
            query = query.where(Requirement.id < args["before_id"])
        rows = list(db.session.scalars(query))
        if terms:
            remember(HIGHLIGHTS, search_index.highlights(db.session, [r.id for r in rows], terms))
        return preload_clocks(rows)

    @idempotent
    @blp.arguments(RequirementSchema)
    @blp.response(201, RequirementSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any]) -> Any:
        """Open a requirement for a customer; it starts in its workflow's first state."""
        customer = db.session.get(Customer, data["customer_id"])
        if customer is None or customer.deleted_at is not None:
            abort(422, "customer_id: no such customer.")
        requirement = requirements.open_requirement(
            db.session,
            clock=current_clock(),
            actor=acting_user(),
            assign_now=True,
            check_category=True,
            **data,
        )
        db.session.commit()
        return with_etag(requirement, requirement.version, 201)


@blp.route("/requirements/<int:requirement_id>")
class RequirementById(MethodView):
    @blp.response(200, RequirementSchema)
    def get(self, requirement_id: int) -> Any:
        """One requirement with the triggers the caller may fire now."""
        requirement = get_requirement_or_404(requirement_id)
        return with_etag(requirement, requirement.version)

    @blp.arguments(RequirementUpdateSchema)
    @blp.response(200, RequirementSchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def patch(self, data: dict[str, Any], requirement_id: int) -> Any:
        """Edit fields (not the state: fire a transition). A new priority re-plans the SLA
        clocks with that priority's targets. Needs If-Match (412 when stale)."""
        requirement = get_requirement_or_404(requirement_id)
        version = expected_version(requirement.version)  # 428 / 412 before anything else
        requirements.update_requirement(
            db.session,
            requirement,
            data,
            expected_version=version,
            check_category=True,
            actor=acting_user(),
            clock=current_clock(),
        )
        db.session.commit()
        return with_etag(requirement, requirement.version)


@blp.route("/requirements/<int:requirement_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(TransitionSchema)
    @blp.response(200, RequirementSchema)
    @blp.alt_response(409, description="Not allowed now; `allowed` lists what is")
    def post(self, data: dict[str, Any], requirement_id: int) -> Any:
        """Fire a workflow trigger, e.g. `{"trigger": "resolve", "note": "…"}`."""
        requirement = get_requirement_or_404(requirement_id)
        extra = {"merge_into_id": data["merge_into_id"]} if data.get("merge_into_id") else {}
        if extra:
            _check_merge_target(extra["merge_into_id"])
        requirements.fire(
            db.session,
            requirement,
            data["trigger"],
            actor=acting_user(),
            clock=current_clock(),
            note=data.get("note"),
            data=extra,
        )
        db.session.commit()
        return with_etag(requirement, requirement.version)


def _check_merge_target(target_id: int) -> None:
    """The read policy holds for the requirement merged into, as on the page: another team's
    gets the same answer as a missing one (a merge writes to the target's thread and history)."""
    target = db.session.get(Requirement, target_id)
    if target is None or not may_read(target):
        raise ValidationFailed.field("merge_into_id", f"There is no requirement #{target_id}.")


@blp.route("/requirements/<int:requirement_id>/events")
class Events(MethodView):
    @blp.response(200, EventSchema(many=True))
    def get(self, requirement_id: int) -> Any:
        """Every transition: who or which timer, from, to, when, why."""
        get_requirement_or_404(requirement_id)
        return list(
            db.session.scalars(
                select(RequirementEvent)
                .where(RequirementEvent.requirement_id == requirement_id)
                .order_by(RequirementEvent.id)
            )
        )
