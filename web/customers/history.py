"""Per-record audit view: who changed what, when, field by field."""

from flask import render_template
from sqlalchemy import or_, select

from models import AuditEntry, Communication, Role, Transaction, User
from web.access import role_required
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.extensions import db


@bp.get("/<int:customer_id>/history")
@role_required(Role.AGENT)
def history(customer_id: int) -> str:
    customer = get_customer_or_404(customer_id, deleted=None)
    # The customer's own entries, and those of its communications and transactions.
    communication_ids = select(Communication.id).where(Communication.customer_id == customer.id)
    transaction_ids = select(Transaction.id).where(Transaction.customer_id == customer.id)
    entries = list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                or_(
                    (AuditEntry.entity_type == "customer") & (AuditEntry.entity_id == customer.id),
                    (AuditEntry.entity_type == "communication")
                    & AuditEntry.entity_id.in_(communication_ids),
                    (AuditEntry.entity_type == "transaction")
                    & AuditEntry.entity_id.in_(transaction_ids),
                )
            )
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        )
    )
    actor_ids = {e.actor_id for e in entries if e.actor_id is not None}
    actors = dict(
        db.session.execute(select(User.id, User.name).where(User.id.in_(actor_ids))).all()
    )
    return render_template(
        "customers/history.html", customer=customer, entries=entries, actors=actors
    )
