"""A customer's orders, invoices, payments and refunds over the API. Amounts travel as decimal
strings in both directions, never as JSON numbers with a fraction."""

from typing import Any

import marshmallow as ma
from flask import abort, url_for
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Transaction, TransactionKind, TransactionStatus
from web.access import acting_user
from web.api import records
from web.api.conditional import (
    IDEMPOTENCY_DOC,
    idempotent,
    with_etag,
)
from web.api.customers.profiles import get_customer_or_404
from web.clocks import current_clock
from web.extensions import db
from web.privacy.reads import note_access
from workflows.customers import transactions
from workflows.customers.timelines import timeline

blp = Blueprint(
    "api_transactions",
    __name__,
    url_prefix="/api/v1",
    description="Transactions: orders, invoices, payments and refunds",
)


class TransactionSchema(ma.Schema):
    id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    kind = ma.fields.Function(lambda t: t.kind.value)
    status = ma.fields.Function(lambda t: t.status.value)
    amount = ma.fields.Function(
        lambda t: transactions.amount_text(t.amount),
        metadata={"type": "string", "example": "12.50", "description": "Decimal string."},
    )
    currency = ma.fields.String(metadata={"description": "ISO 4217 code."})
    occurred_on = ma.fields.Date()
    reference = ma.fields.String(allow_none=True)
    created_at = ma.fields.AwareDateTime()
    updated_at = ma.fields.AwareDateTime()
    version = ma.fields.Integer()


class TransactionInSchema(ma.Schema):
    """Validated by the workflow, which names every bad field in one 422."""

    class Meta:
        unknown = ma.INCLUDE

    kind = ma.fields.Raw(metadata={"type": "string", "enum": [k.value for k in TransactionKind]})
    amount = ma.fields.Raw(
        metadata={
            "type": "string",
            "example": "12.50",
            "description": "A decimal string (or an integer); never negative — record a "
            "refund instead. JSON numbers with a fraction are refused.",
        }
    )
    currency = ma.fields.Raw(metadata={"type": "string", "example": "EUR"})
    occurred_on = ma.fields.Raw(metadata={"type": "string", "format": "date"})
    reference = ma.fields.Raw(metadata={"type": "string"})
    status = ma.fields.Raw(
        metadata={"type": "string", "enum": [s.value for s in TransactionStatus]}
    )


class TransactionQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(1, 200))
    before = ma.fields.String(metadata={"description": "`next_cursor` of the previous page."})


class TransactionPageSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(TransactionSchema))
    next_cursor = ma.fields.String(allow_none=True)
    lifetime_value = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.String())
    last_purchase_on = ma.fields.Date(allow_none=True)


def _get_or_404(transaction_id: int, *, deleted: bool = False) -> Transaction:
    transaction = db.session.get(Transaction, transaction_id)
    if transaction is None or (transaction.deleted_at is not None) != deleted:
        abort(404, "No such transaction.")
    get_customer_or_404(transaction.customer_id)
    return transaction


@blp.route("/customers/<int:customer_id>/transactions")
class CustomerTransactions(MethodView):
    @blp.arguments(TransactionQuerySchema, location="query")
    @blp.response(200, TransactionPageSchema)
    def get(self, args: dict[str, Any], customer_id: int) -> Any:
        """The customer's transactions, newest first, with lifetime value per currency."""
        get_customer_or_404(customer_id, deleted=None)
        note_access(customer_id, "view", via="api", detail="transactions")
        page = timeline(
            db.session,
            customer_id,
            kinds={"transaction"},
            limit=args["limit"],
            before=args.get("before"),
        )
        value = transactions.lifetime_value(db.session, customer_id)
        return {
            "items": [i.record for i in page.items],
            "next_cursor": page.next_cursor,
            "lifetime_value": {
                currency: transactions.amount_text(amount) for currency, amount in value.items()
            },
            "last_purchase_on": transactions.last_purchase_on(db.session, customer_id),
        }

    @idempotent
    @blp.arguments(TransactionInSchema)
    @blp.response(201, TransactionSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any], customer_id: int) -> Any:
        """Record a transaction (any agent)."""
        customer = get_customer_or_404(customer_id)
        transaction = transactions.record_transaction(
            db.session, customer, data, actor_id=acting_user().id, clock=current_clock()
        )
        db.session.commit()
        location = url_for("api_transactions.TransactionById", transaction_id=transaction.id)
        return with_etag(transaction, transaction.version, 201, Location=location)


records.register(
    blp,
    records.Record(
        name="Transaction",
        path="/transactions/<int:transaction_id>",
        schema=TransactionSchema,
        in_schema=TransactionInSchema,
        load=_get_or_404,
        update=transactions.update_transaction,
        delete=transactions.delete_transaction,
        docs={"delete": "Delete (supervisors and admins); kept in the audit log. Needs If-Match."},
    ),
)
