"""A customer's data-subject rights over the API: download the export archive, set or lift a
legal hold, request an erasure and follow it, reveal masked contact points; and the access log
for admins."""

from typing import Any

import marshmallow as ma
from flask import Response, abort, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from models import ErasureJob, Role
from web.access import acting_user
from web.api.conditional import require_role
from web.api.customers.profiles import get_customer_or_404
from web.clocks import current_clock
from web.extensions import db
from web.privacy.reads import write_now
from web.privacy.views import export_response
from workflows.privacy import access_log, erasure

blp = Blueprint(
    "api_privacy", __name__, url_prefix="/api/v1", description="Data-subject rights and access log"
)


class LegalHoldInSchema(ma.Schema):
    reason = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=2000))


class LegalHoldSchema(ma.Schema):
    customer_id = ma.fields.Integer(attribute="id")
    legal_hold_at = ma.fields.AwareDateTime(allow_none=True)
    legal_hold_reason = ma.fields.String(allow_none=True)


class ErasureSchema(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "pending, running, done or refused"})
    steps_done = ma.fields.Integer()
    steps_total = ma.fields.Integer()
    step = ma.fields.String(allow_none=True)
    error = ma.fields.String(allow_none=True)
    certificate = ma.fields.Dict(
        allow_none=True, metadata={"description": "What was erased (row counts), when done."}
    )


class ContactPointsSchema(ma.Schema):
    customer_id = ma.fields.Integer()
    emails = ma.fields.List(ma.fields.String())
    phones = ma.fields.List(ma.fields.String())


class AccessQuerySchema(ma.Schema):
    customer_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**63 - 1))
    user_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**63 - 1))
    action = ma.fields.String(validate=ma.validate.OneOf(access_log.ACTIONS))
    since = ma.fields.AwareDateTime()
    until = ma.fields.AwareDateTime()
    before_id = ma.fields.Integer(validate=ma.validate.Range(1, 2**63 - 1))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 500))


class AccessEntrySchema(ma.Schema):
    id = ma.fields.Integer()
    at = ma.fields.AwareDateTime()
    user_id = ma.fields.Integer(allow_none=True)
    customer_id = ma.fields.Integer()
    action = ma.fields.String()
    via = ma.fields.String()
    detail = ma.fields.String(allow_none=True)


@blp.route("/customers/<int:customer_id>/export")
class CustomerExport(MethodView):
    @blp.response(
        200,
        content_type="application/zip",
        description="A zip of JSON files: manifest.json and one file per section.",
    )
    def get(self, customer_id: int) -> Response:
        """Everything held about the customer (supervisors and admins); logged. A non-admin's
        export holds only the requirements they may read, with the communications linked to
        them (the manifest's `complete` is false); an admin's is complete."""
        require_role(Role.SUPERVISOR)
        get_customer_or_404(customer_id, deleted=None)
        return export_response(customer_id, via="api")


@blp.route("/customers/<int:customer_id>/legal-hold")
class CustomerLegalHold(MethodView):
    @blp.arguments(LegalHoldInSchema)
    @blp.response(200, LegalHoldSchema)
    def put(self, data: dict[str, Any], customer_id: int) -> Any:
        """Set a legal hold (supervisors and admins): erasure is refused until it is lifted."""
        require_role(Role.SUPERVISOR)
        customer = get_customer_or_404(customer_id, deleted=None)
        erasure.set_legal_hold(
            db.session, customer, data["reason"], actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return customer

    @blp.response(200, LegalHoldSchema)
    def delete(self, customer_id: int) -> Any:
        """Lift the legal hold (supervisors and admins)."""
        require_role(Role.SUPERVISOR)
        customer = get_customer_or_404(customer_id, deleted=None)
        erasure.lift_legal_hold(
            db.session, customer, actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        return customer


@blp.route("/customers/<int:customer_id>/erasure")
class CustomerErasure(MethodView):
    @blp.response(202, ErasureSchema)
    @blp.alt_response(409, description="The customer is under a legal hold.")
    def post(self, customer_id: int) -> Any:
        """Erase the customer (admins): a worker anonymises their personal data and issues a
        certificate. Follow `Location`. 409 while a legal hold is set."""
        require_role(Role.ADMIN)
        customer = get_customer_or_404(customer_id, deleted=None)
        job = erasure.request_erasure(
            db.session, customer, actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        location = url_for("api_privacy.Erasure", job_id=job.id)
        return erasure.progress(job), 202, {"Location": location}


@blp.route("/erasures/<int:job_id>")
class Erasure(MethodView):
    @blp.response(200, ErasureSchema)
    def get(self, job_id: int) -> Any:
        """Progress of an erasure, and its certificate when done (supervisors and admins)."""
        require_role(Role.SUPERVISOR)
        job = db.session.get(ErasureJob, job_id)
        if job is None:
            abort(404, "No such erasure.")
        return erasure.progress(job)


@blp.route("/customers/<int:customer_id>/reveal")
class CustomerReveal(MethodView):
    @blp.response(200, ContactPointsSchema)
    def post(self, customer_id: int) -> Any:
        """The customer's contact points in full, for callers who see them masked; logged."""
        customer = get_customer_or_404(customer_id)
        write_now(customer_id, "reveal", via="api")
        db.session.commit()
        return {
            "customer_id": customer.id,
            "emails": [e.email for e in customer.emails],
            "phones": [p.e164 for p in customer.phones],
        }


@blp.route("/access-log")
class AccessLog(MethodView):
    @blp.arguments(AccessQuerySchema, location="query")
    @blp.response(200, AccessEntrySchema(many=True))
    def get(self, args: dict[str, Any]) -> Any:
        """Who viewed, exported, revealed or erased which customer (admins), newest first.
        Page with `before_id` = the last id of the previous page."""
        require_role(Role.ADMIN)
        limit = args.pop("limit")
        return access_log.search(db.session, access_log.AccessQuery(**args), limit=limit)
