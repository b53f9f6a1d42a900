"""Business calendars, SLA policies and the escalation queue over the API: enough to set up an
SLA of a few seconds and watch it escalate without the web UI."""

from typing import Any

import marshmallow as ma
from flask import abort, request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from models import Calendar, Requirement, Role, SlaClock, SlaPolicy, SlaPolicyVersion
from web.access import acting_user
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    IF_MATCH_DOC,
    expected_version,
    idempotent,
    require_role,
    with_etag,
)
from web.clocks import current_clock
from web.extensions import db
from web.requirements.access import my_memberships, readable_in
from workflows.platform.errors import Conflict
from workflows.tracking import calendars, escalations, sla_apply, sla_policies

blp = Blueprint(
    "api_sla",
    __name__,
    url_prefix="/api/v1",
    description="Business calendars, SLA policies and escalations",
)


class PeriodSchema(ma.Schema):
    weekday = ma.fields.Raw(required=True, metadata={"description": "0 (Monday) to 6, or mon…sun"})
    start = ma.fields.String(required=True, metadata={"example": "09:00"})
    end = ma.fields.String(
        required=True, metadata={"example": "17:00", "description": "24:00 = midnight"}
    )


class WindowSchema(ma.Schema):
    start = ma.fields.String(required=True, metadata={"example": "20:00"})
    end = ma.fields.String(required=True, metadata={"example": "08:00"})


class HolidaySchema(ma.Schema):
    date = ma.fields.String(required=True, metadata={"example": "2026-12-25"})
    name = ma.fields.String()
    source = ma.fields.String(dump_only=True)


class WorkingDaySchema(ma.Schema):
    date = ma.fields.String(required=True, metadata={"example": "2025-01-26"})
    name = ma.fields.String()
    periods = ma.fields.List(
        ma.fields.Nested(WindowSchema),
        allow_none=True,
        metadata={"description": "The day's hours; omitted or null = a normal working day's"},
    )
    source = ma.fields.String(dump_only=True)


class CalendarSchema(ma.Schema):
    """Validated by the workflow, which names each bad field in a 422 problem."""

    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    time_zone = ma.fields.String(metadata={"example": "Europe/Berlin"})
    periods = ma.fields.List(ma.fields.Nested(PeriodSchema))
    quiet_hours = ma.fields.List(ma.fields.Nested(WindowSchema))
    holidays = ma.fields.List(ma.fields.Nested(HolidaySchema))
    working_days = ma.fields.List(ma.fields.Nested(WorkingDaySchema))
    version = ma.fields.Integer(dump_only=True)


class CalendarPatchSchema(CalendarSchema):
    """Any subset of the calendar's fields."""


class HolidayImportSchema(ma.Schema):
    country = ma.fields.String(required=True, metadata={"example": "DE"})
    subdivision = ma.fields.String(allow_none=True, metadata={"example": "BY"})
    years = ma.fields.List(ma.fields.Integer(), required=True)


class IcalImportSchema(ma.Schema):
    ical = ma.fields.String(required=True, metadata={"description": "The .ics file's text"})


class ImportResultSchema(ma.Schema):
    added = ma.fields.Integer()
    added_working_days = ma.fields.Integer()
    calendar = ma.fields.Nested(CalendarSchema)


class PolicySchema(ma.Schema):
    """Targets are seconds of business time, per priority or `default`."""

    id = ma.fields.Integer(dump_only=True)
    name = ma.fields.String()
    position = ma.fields.Integer()
    active = ma.fields.Boolean()
    match = ma.fields.Dict(
        metadata={
            "example": {"priorities": ["urgent"], "team_ids": [], "categories": [], "tags": ["vip"]}
        }
    )
    calendar_id = ma.fields.Integer()
    targets = ma.fields.Dict(
        metadata={
            "example": {
                "default": {"first_response": 3600, "next_response": 7200, "resolution": 86400}
            }
        }
    )
    warning_percent = ma.fields.Integer(metadata={"example": 80})
    pause_states = ma.fields.Dict(metadata={"example": {"resolution": ["waiting_on_customer"]}})
    ladder = ma.fields.List(
        ma.fields.Dict(),
        metadata={
            "example": [
                {"at": "breach", "recipients": ["assignee"], "actions": ["notify"]},
                {
                    "at": "after_breach",
                    "seconds": 1800,
                    "recipients": ["team_supervisors"],
                    "actions": ["notify", "raise_priority"],
                },
            ]
        },
    )
    follow_up_seconds = ma.fields.Integer(allow_none=True)
    current_version = ma.fields.Integer(dump_only=True)
    current_version_id = ma.fields.Integer(dump_only=True)
    version = ma.fields.Integer(dump_only=True)


class PolicyVersionSchema(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.Integer()
    calendar_id = ma.fields.Integer()
    targets = ma.fields.Dict()
    warning_percent = ma.fields.Integer()
    pause_states = ma.fields.Dict()
    ladder = ma.fields.List(ma.fields.Dict())
    follow_up_seconds = ma.fields.Integer(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    created_by_id = ma.fields.Integer(allow_none=True)


class PolicyPatchSchema(PolicySchema):
    """Any subset of the policy's fields."""


class OrderSchema(ma.Schema):
    ids = ma.fields.List(ma.fields.Integer(), required=True)


class ApplySchema(ma.Schema):
    dry_run = ma.fields.Boolean(load_default=True)
    mode = ma.fields.String(
        load_default=sla_apply.VERSIONS,
        validate=ma.validate.OneOf(sla_apply.MODES),
        metadata={
            "description": "`versions`: requirements on an older version of this policy; "
            "`rematch`: open requirements under other policies that now match this one first"
        },
    )


class EscalationSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "The SLA clock's id (acknowledge with it)"})
    requirement_id = ma.fields.Integer()
    title = ma.fields.String()
    metric = ma.fields.String()
    level = ma.fields.String(metadata={"description": "at_risk or breached"})
    status = ma.fields.String()
    due_at = ma.fields.AwareDateTime(allow_none=True)
    breached_at = ma.fields.AwareDateTime(allow_none=True)
    seconds_to_breach = ma.fields.Float(metadata={"description": "negative once breached"})
    rung = ma.fields.Integer()
    acknowledged = ma.fields.Boolean()
    acknowledged_at = ma.fields.AwareDateTime(allow_none=True)
    assignee_id = ma.fields.Integer(allow_none=True)
    team_id = ma.fields.Integer(allow_none=True)
    priority = ma.fields.String()


class EscalationArgs(ma.Schema):
    level = ma.fields.String(
        validate=ma.validate.OneOf([escalations.AT_RISK, escalations.BREACHED])
    )
    team_id = ma.fields.Integer()
    limit = ma.fields.Integer(
        validate=ma.validate.Range(min=1, max=200),
        metadata={"description": "Rows per page (default 25)"},
    )
    after = ma.fields.String(
        validate=ma.validate.Length(max=80),
        metadata={"description": "Cursor: the previous page's `next_after`"},
    )


class EscalationListSchema(ma.Schema):
    counts = ma.fields.Dict()
    items = ma.fields.List(ma.fields.Nested(EscalationSchema))
    next_after = ma.fields.String(
        allow_none=True,
        metadata={"description": "Pass as `after` for the next page; null on the last"},
    )


def _calendar_or_404(calendar_id: int) -> Calendar:
    calendar = db.session.get(Calendar, calendar_id)
    if calendar is None:
        abort(404, "No such calendar.")
    return calendar


def _policy_or_404(policy_id: int) -> SlaPolicy:
    policy = db.session.get(SlaPolicy, policy_id)
    if policy is None:
        abort(404, "No such SLA policy.")
    return policy


def _json_body() -> dict[str, Any]:
    """The raw JSON object: the workflows validate it and name each bad field."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        abort(400, "Send a JSON object.")
    return body


@blp.route("/calendars")
class Calendars(MethodView):
    @blp.response(200, CalendarSchema(many=True))
    def get(self) -> Any:
        """Every business calendar."""
        rows = db.session.scalars(select(Calendar).order_by(Calendar.name))
        return [calendars.as_dict(c) for c in rows]

    @idempotent
    @blp.arguments(CalendarSchema)
    @blp.response(201, CalendarSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, _data: dict[str, Any]) -> Any:
        """Create a calendar (admins): time zone, opening periods, holidays, quiet hours."""
        require_role(Role.ADMIN)
        calendar = calendars.create(db.session, _json_body(), clock=current_clock())
        db.session.commit()
        return with_etag(calendars.as_dict(calendar), calendar.version, 201)


@blp.route("/calendars/<int:calendar_id>")
class CalendarById(MethodView):
    @blp.response(200, CalendarSchema)
    def get(self, calendar_id: int) -> Any:
        calendar = _calendar_or_404(calendar_id)
        return with_etag(calendars.as_dict(calendar), calendar.version)

    @blp.arguments(CalendarPatchSchema(partial=True))
    @blp.response(200, CalendarSchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def patch(self, _data: dict[str, Any], calendar_id: int) -> Any:
        """Change fields (admins); `holidays` given here replace the entered ones. Due times of
        running clocks follow when the policy is applied again."""
        require_role(Role.ADMIN)
        calendar = _calendar_or_404(calendar_id)
        expected_version(calendar.version)
        calendars.update(db.session, calendar, _json_body(), clock=current_clock())
        db.session.commit()
        return with_etag(calendars.as_dict(calendar), calendar.version)

    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def delete(self, calendar_id: int) -> Any:
        """Delete a calendar no policy counts in (admins); 409 otherwise."""
        require_role(Role.ADMIN)
        calendar = _calendar_or_404(calendar_id)
        expected_version(calendar.version)
        calendars.delete(db.session, calendar)
        db.session.commit()
        return "", 204


@blp.route("/calendars/<int:calendar_id>/holidays/import")
class HolidayImport(MethodView):
    @blp.arguments(HolidayImportSchema)
    @blp.response(200, ImportResultSchema)
    def post(self, data: dict[str, Any], calendar_id: int) -> Any:
        """Add public holidays of a country (and subdivision) from the `holidays` package, and
        the weekend days it works instead (China's adjusted working days) as working days."""
        require_role(Role.ADMIN)
        calendar = _calendar_or_404(calendar_id)
        added = calendars.import_country_holidays(db.session, calendar, **data)
        db.session.commit()
        return {
            "added": added.holidays,
            "added_working_days": added.working_days,
            "calendar": calendars.as_dict(calendar),
        }


@blp.route("/calendars/<int:calendar_id>/holidays/ical")
class HolidayIcal(MethodView):
    @blp.arguments(IcalImportSchema)
    @blp.response(200, ImportResultSchema)
    def post(self, data: dict[str, Any], calendar_id: int) -> Any:
        """Add every day of the events in an iCal file as holidays."""
        require_role(Role.ADMIN)
        calendar = _calendar_or_404(calendar_id)
        added = calendars.import_ical(db.session, calendar, data["ical"])
        db.session.commit()
        return {"added": added, "calendar": calendars.as_dict(calendar)}


@blp.route("/sla-policies")
class Policies(MethodView):
    @blp.response(200, PolicySchema(many=True))
    def get(self) -> Any:
        """Policies in matching order: the first active one matching a requirement wins."""
        return [sla_policies.as_dict(p) for p in sla_policies.ordered(db.session)]

    @idempotent
    @blp.arguments(PolicySchema)
    @blp.response(201, PolicySchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, _data: dict[str, Any]) -> Any:
        """Create a policy (admins, or supervisors); its settings become version 1."""
        require_role(Role.SUPERVISOR)
        policy = sla_policies.create(
            db.session, _json_body(), actor=acting_user(), clock=current_clock()
        )
        db.session.commit()
        return with_etag(sla_policies.as_dict(policy), policy.version, 201)


@blp.route("/sla-policies/order")
class PolicyOrder(MethodView):
    @blp.arguments(OrderSchema)
    @blp.response(200, PolicySchema(many=True))
    def put(self, data: dict[str, Any]) -> Any:
        """Set the matching order: every policy id, first match first."""
        require_role(Role.SUPERVISOR)
        sla_policies.reorder(db.session, data["ids"], clock=current_clock())
        db.session.commit()
        return [sla_policies.as_dict(p) for p in sla_policies.ordered(db.session)]


@blp.route("/sla-policies/<int:policy_id>")
class PolicyById(MethodView):
    @blp.response(200, PolicySchema)
    def get(self, policy_id: int) -> Any:
        policy = _policy_or_404(policy_id)
        return with_etag(sla_policies.as_dict(policy), policy.version)

    @blp.arguments(PolicyPatchSchema(partial=True))
    @blp.response(200, PolicySchema)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def patch(self, _data: dict[str, Any], policy_id: int) -> Any:
        """Edit; changed settings add a version. Open requirements keep theirs until you
        apply the policy (`POST …/apply`)."""
        require_role(Role.SUPERVISOR)
        policy = _policy_or_404(policy_id)
        sla_policies.update(
            db.session,
            policy,
            _json_body(),
            expected_version=expected_version(policy.version),
            actor=acting_user(),
            clock=current_clock(),
        )
        db.session.commit()
        return with_etag(sla_policies.as_dict(policy), policy.version)

    @blp.response(204)
    @blp.doc(parameters=[IF_MATCH_DOC])
    def delete(self, policy_id: int) -> Any:
        """Delete a policy no requirement has counted under (else 409: deactivate it)."""
        require_role(Role.ADMIN)
        policy = _policy_or_404(policy_id)
        expected_version(policy.version)
        used = db.session.scalar(
            select(SlaClock.id)
            .join(SlaPolicyVersion, SlaPolicyVersion.id == SlaClock.policy_version_id)
            .where(SlaPolicyVersion.policy_id == policy.id)
            .limit(1)
        )
        if used is not None:
            raise Conflict(
                "Requirements have counted under this policy; set active to false instead."
            )
        policy.current_version_id = None
        db.session.flush()
        db.session.delete(policy)
        db.session.commit()
        return "", 204


@blp.route("/sla-policies/<int:policy_id>/versions")
class PolicyVersions(MethodView):
    @blp.response(200, PolicyVersionSchema(many=True))
    def get(self, policy_id: int) -> Any:
        """Every version, newest first."""
        _policy_or_404(policy_id)
        return list(
            db.session.scalars(
                select(SlaPolicyVersion)
                .where(SlaPolicyVersion.policy_id == policy_id)
                .order_by(SlaPolicyVersion.number.desc())
            )
        )


@blp.route("/sla-policies/<int:policy_id>/apply")
class PolicyApply(MethodView):
    @blp.response(200)
    def get(self, policy_id: int) -> Any:
        """Progress of the last apply: status, total, done."""
        return {"recompute": _policy_or_404(policy_id).recompute}

    @blp.arguments(ApplySchema)
    @blp.response(200)
    @blp.alt_response(202, description="Recompute queued; poll GET for progress")
    def post(self, data: dict[str, Any], policy_id: int) -> Any:
        """Apply the current version to open requirements. `{"dry_run": true}` (the default)
        only reports how many due times would move and by how much. `{"mode": "rematch"}`
        moves open requirements under other policies that now match this one first."""
        require_role(Role.SUPERVISOR)
        policy = _policy_or_404(policy_id)
        mode = data["mode"]
        if data["dry_run"]:
            report = sla_apply.dry_run(db.session, policy, clock=current_clock(), mode=mode)
            db.session.rollback()
            return {"dry_run": report}
        progress = sla_apply.start(db.session, policy, clock=current_clock(), mode=mode)
        db.session.commit()
        return {"recompute": progress}, 202


def _escalation(row: escalations.QueueRow) -> dict[str, Any]:
    clock_row, requirement = row.sla, row.requirement
    return {
        "id": clock_row.id,
        "requirement_id": requirement.id,
        "title": requirement.title,
        "metric": str(clock_row.metric),
        "level": row.level,
        "status": str(clock_row.status),
        "due_at": clock_row.due_at,
        "breached_at": clock_row.breached_at,
        "seconds_to_breach": row.seconds_to_breach,
        "rung": row.rung,
        "acknowledged": row.acknowledged,
        "acknowledged_at": clock_row.acknowledged_at,
        "assignee_id": requirement.assignee_id,
        "team_id": requirement.team_id,
        "priority": str(requirement.priority),
    }


@blp.route("/escalations")
class Escalations(MethodView):
    @blp.arguments(EscalationArgs, location="query")
    @blp.response(200, EscalationListSchema)
    def get(self, args: dict[str, Any]) -> Any:
        """At-risk (past warning) and breached SLA clocks, breached first, with counts.
        Supervisors see the teams they lead; admins see all."""
        require_role(Role.SUPERVISOR)
        user = acting_user()
        led = escalations.supervised_team_ids(db.session, user, my_memberships(user))
        team_ids = led
        if "team_id" in args:
            team_ids = [args["team_id"]] if led is None or args["team_id"] in led else []
        clock = current_clock()
        visible = readable_in(led)
        # A malformed `after` is a 422 naming the field (ValidationFailed's handler).
        page = escalations.queue(
            db.session,
            clock=clock,
            team_ids=team_ids,
            readable=visible,
            limit=args.get("limit"),
            after=args.get("after"),
            level=args.get("level"),
        )
        return {
            "counts": escalations.counts(
                db.session, clock=clock, team_ids=team_ids, readable=visible
            ),
            "items": [_escalation(r) for r in page.rows],
            "next_after": page.next_after,
        }


@blp.route("/escalations/<int:clock_id>/ack")
class Acknowledge(MethodView):
    @blp.response(200, EscalationSchema)
    def post(self, clock_id: int) -> Any:
        """Acknowledge the clock's current rung: its next rungs stop until the clock restarts."""
        if db.session.get(SlaClock, clock_id) is None:
            abort(404, "No such escalation.")
        clock = current_clock()
        row = escalations.acknowledge(db.session, clock_id, actor=acting_user(), clock=clock)
        db.session.commit()
        requirement = db.session.get(Requirement, row.requirement_id)
        return _escalation(escalations.row_of(row, requirement, clock=clock))
