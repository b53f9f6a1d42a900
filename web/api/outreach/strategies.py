"""Strategies over the API: `/strategies`, `/strategies/{id}/steps`, `/strategies/{id}/dry-run`,
`/strategies/{id}/transitions`, `/strategies/{id}/enrolments` (search, stop one) and a
template preview for a chosen customer."""

from typing import Any

import marshmallow as ma
from flask import abort, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import Customer, Enrolment, EnrolmentEvent, Role, Strategy
from web.access import acting_user
from web.api.conditional import IF_MATCH_DOC, expected_version, require_role, with_etag
from web.clocks import current_clock
from web.extensions import db
from web.outreach.settings import link_settings
from workflows.outreach import activation, enrolments, strategies
from workflows.outreach.lifecycle import TRANSITIONS

blp = Blueprint(
    "api_outreach",
    __name__,
    url_prefix="/api/v1",
    description="Outreach strategies: goal, audience, steps, windows, caps, enrolments",
)

DEFINITION_DOC = {
    "type": "object",
    "description": "goal {kpi, target, days}; audience {kind: segment|requirement_resolved|"
    "no_transaction|new_customers|requirement_state, segment_id, days, state}; steps [{channel: "
    "email|sms|task, subject, body, title, translations {lang: {...}}, delay {amount, unit: "
    "minutes|hours|calendar_days|business_days, calendar_id}, condition: no_reply|"
    "requirement_open|goal_not_reached, variants [{key, weight, subject, body}], due_hours, "
    "assignee}]; window {weekdays [0-6], start, end, calendar_id, default_time_zone}; caps "
    "{per_customer_per_week, per_channel_per_minute}; holdout_percent; consent: granted|"
    "not_withdrawn; stop_on {requirement}; split {mode: fixed|adaptive, floor: 0-50} (fixed: "
    "the variants' weights; adaptive: the variants share new steps by Thompson sampling over "
    "their goal rate, each keeping at least `floor` %; see `/strategies/{id}/results` `split`).",
}


class StrategySchema(ma.Schema):
    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.Raw(metadata={"type": "string"})
    owner_id = ma.fields.Integer(allow_none=True)
    status = ma.fields.String(dump_only=True)
    allowed_triggers = ma.fields.List(ma.fields.String(), dump_only=True)
    current_version = ma.fields.Integer(dump_only=True)
    definition = ma.fields.Raw(metadata=DEFINITION_DOC)
    channels = ma.fields.List(ma.fields.String(), dump_only=True)
    progress = ma.fields.Dict(dump_only=True)
    figures = ma.fields.Dict(dump_only=True)
    created_at = ma.fields.AwareDateTime(dump_only=True)
    updated_at = ma.fields.AwareDateTime(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class StrategyPatchSchema(StrategySchema):
    """Any subset of the strategy's fields."""


class StepsSchema(ma.Schema):
    steps = ma.fields.List(ma.fields.Dict(), required=True)


class StrategyTransitionSchema(ma.Schema):
    trigger = ma.fields.String(
        required=True, validate=ma.validate.OneOf([t["trigger"] for t in TRANSITIONS])
    )


class DryRunSchema(ma.Schema):
    audience = ma.fields.Integer()
    would_enrol = ma.fields.Integer()
    holdout_estimate = ma.fields.Integer()
    would_contact = ma.fields.Integer()
    excluded = ma.fields.Dict(metadata={"example": {"no_consent": 3, "suppressed": 1}})
    capped = ma.fields.Integer()
    first_send_at = ma.fields.AwareDateTime(allow_none=True)
    by_time_zone = ma.fields.Dict()
    sample = ma.fields.List(ma.fields.Dict())


class EnrolmentSchema(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    customer_name = ma.fields.String()
    version = ma.fields.Integer()
    status = ma.fields.String()
    steps_done = ma.fields.Integer()
    next_due_at = ma.fields.AwareDateTime(allow_none=True)
    time_zone = ma.fields.String(allow_none=True, metadata={"description": "The customer's."})
    enrolled_at = ma.fields.AwareDateTime()
    stopped_at = ma.fields.AwareDateTime(allow_none=True)
    stop_reason = ma.fields.String(allow_none=True)


class EnrolmentArgs(ma.Schema):
    q = ma.fields.String(metadata={"description": "customer name or email contains"})
    status = ma.fields.String(
        validate=ma.validate.OneOf(["active", "holdout", "completed", "stopped"])
    )
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))
    offset = ma.fields.Integer(load_default=0, validate=ma.validate.Range(0))


class EnrolmentEventSchema(ma.Schema):
    at = ma.fields.AwareDateTime()
    kind = ma.fields.String()
    step_index = ma.fields.Integer(allow_none=True)
    variant = ma.fields.String(allow_none=True)
    channel = ma.fields.String(allow_none=True)
    detail = ma.fields.String(allow_none=True)
    communication_id = ma.fields.Integer(allow_none=True)


class PreviewArgs(ma.Schema):
    customer_id = ma.fields.Integer(required=True)
    step = ma.fields.Integer(load_default=0)
    variant = ma.fields.String()


def _strategy_or_404(strategy_id: int) -> Strategy:
    strategy = db.session.get(Strategy, strategy_id)
    if strategy is None:
        abort(404, "No such strategy.")
    return strategy


def _json_body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


def _dumped(strategy: Strategy, status: int = 200) -> Any:
    return with_etag(strategies.as_dict(db.session, strategy), strategy.version, status)


@blp.route("/strategies")
class Strategies(MethodView):
    @blp.response(200, StrategySchema(many=True))
    def get(self) -> Any:
        """Every strategy with its status and headline figures, newest first."""
        rows = db.session.scalars(select(Strategy).order_by(Strategy.id.desc()))
        return [strategies.as_dict(db.session, s) for s in rows]

    @blp.arguments(StrategySchema)
    @blp.response(201, StrategySchema)
    def post(self, _data: dict[str, Any]) -> Any:
        """Create a draft strategy (supervisors); 422 names each bad field."""
        require_role(Role.SUPERVISOR)
        strategy = strategies.create(
            db.session, _json_body(), actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return _dumped(strategy, 201)


@blp.route("/strategies/<int:strategy_id>")
class StrategyById(MethodView):
    @blp.response(200, StrategySchema)
    def get(self, strategy_id: int) -> Any:
        return _dumped(_strategy_or_404(strategy_id))

    @blp.arguments(StrategyPatchSchema(partial=True))
    @blp.response(200, StrategySchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def patch(self, _data: dict[str, Any], strategy_id: int) -> Any:
        """Change name, owner or definition (supervisors). Once active, a changed definition is
        a new version: new enrolments take it, running ones keep theirs."""
        require_role(Role.SUPERVISOR)
        strategy = _strategy_or_404(strategy_id)
        expected_version(strategy.version)
        strategies.edit(
            db.session, strategy, _json_body(), actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return _dumped(strategy)


@blp.route("/strategies/<int:strategy_id>/steps")
class Steps(MethodView):
    @blp.response(200, StepsSchema)
    def get(self, strategy_id: int) -> Any:
        """The current version's steps, in order."""
        strategy = _strategy_or_404(strategy_id)
        return {"steps": strategies.current_version(db.session, strategy).definition["steps"]}

    @blp.arguments(StepsSchema)
    @blp.response(200, StepsSchema)
    def put(self, data: dict[str, Any], strategy_id: int) -> Any:
        """Replace the steps (a new version once active); 422 names `steps.N.field`."""
        require_role(Role.SUPERVISOR)
        strategy = _strategy_or_404(strategy_id)
        definition = dict(strategies.current_version(db.session, strategy).definition)
        definition["steps"] = data["steps"]
        strategies.edit(
            db.session,
            strategy,
            {"definition": definition},
            actor_id=acting_user().id,
            clock=current_clock(),
        )
        db.session.commit()
        return {"steps": strategies.current_version(db.session, strategy).definition["steps"]}


@blp.route("/strategies/<int:strategy_id>/dry-run")
class DryRun(MethodView):
    @blp.response(200, DryRunSchema)
    def post(self, strategy_id: int) -> Any:
        """Who would be enrolled now, who not and why, and when the first messages would go
        out (a sample with the time in each customer's zone). Writes nothing."""
        strategy = _strategy_or_404(strategy_id)
        result = activation.dry_run(db.session, strategy, clock=current_clock())
        db.session.rollback()
        return result


@blp.route("/strategies/<int:strategy_id>/transitions")
class Transitions(MethodView):
    @blp.arguments(StrategyTransitionSchema)
    @blp.response(200, StrategySchema)
    def post(self, data: dict[str, Any], strategy_id: int) -> Any:
        """activate (enrols the audience in the background), pause, resume or archive; 409
        names the moves allowed now."""
        require_role(Role.SUPERVISOR)
        strategy = _strategy_or_404(strategy_id)
        strategies.transition(db.session, strategy, data["trigger"], clock=current_clock())
        db.session.commit()
        return _dumped(strategy)


@blp.route("/strategies/<int:strategy_id>/enrolments")
class Enrolments(MethodView):
    @blp.arguments(EnrolmentArgs, location="query")
    @blp.response(200, EnrolmentSchema(many=True))
    def get(self, args: dict[str, Any], strategy_id: int) -> Any:
        """Who is where: each enrolment's status, steps done, next due time and stop reason."""
        _strategy_or_404(strategy_id)
        return enrolments.search(db.session, strategy_id, **args)


@blp.route("/strategies/<int:strategy_id>/enrolments/<int:enrolment_id>")
class EnrolmentById(MethodView):
    @blp.response(200, EnrolmentEventSchema(many=True))
    def get(self, strategy_id: int, enrolment_id: int) -> Any:
        """The enrolment's own timeline: enrolled, sent, skipped, stopped and why."""
        enrolment = _enrolment_or_404(strategy_id, enrolment_id)
        return list(
            db.session.scalars(
                select(EnrolmentEvent)
                .where(EnrolmentEvent.enrolment_id == enrolment.id)
                .order_by(EnrolmentEvent.id)
            )
        )

    @blp.response(204)
    def delete(self, strategy_id: int, enrolment_id: int) -> Any:
        """Remove the customer from the strategy now (an agent's stop): nothing more is sent."""
        enrolment = _enrolment_or_404(strategy_id, enrolment_id)
        enrolments.remove(db.session, enrolment, actor=acting_user(), clock=current_clock())
        db.session.commit()
        return "", 204


def _enrolment_or_404(strategy_id: int, enrolment_id: int) -> Enrolment:
    enrolment = db.session.get(Enrolment, enrolment_id)
    if enrolment is None or enrolment.strategy_id != strategy_id:
        abort(404, "No such enrolment.")
    return enrolment


@blp.route("/strategies/<int:strategy_id>/preview")
class Preview(MethodView):
    @blp.arguments(PreviewArgs, location="query")
    def get(self, args: dict[str, Any], strategy_id: int) -> Any:
        """A step rendered for a chosen customer, in their language."""
        strategy = _strategy_or_404(strategy_id)
        customer = db.session.get(Customer, args["customer_id"])
        if customer is None:
            abort(404, "No such customer.")
        return enrolments.preview(
            db.session,
            strategy,
            customer,
            args["step"],
            args.get("variant"),
            settings=link_settings(),
        )
