"""Per-record audit view: who changed what, when, field by field."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from models import AuditEntry, Communication, Role, Transaction, User
from web.access import role_required
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.extensions import db
from web.history_words import action_label, describe
from web.privacy.masks import is_masked
from web.requirements.access import readable_communications


@bp.get("/<int:customer_id>/history")
@role_required(Role.AGENT)
def history(customer_id: int) -> str | Response:
    customer = get_customer_or_404(customer_id, deleted=None)
    if is_masked(customer_id):
        # Past values include contact points in full: reveal (and so log) them first.
        flash(_("Reveal the contact points to see this customer's history."), "info")
        return redirect(url_for("customers.show", customer_id=customer_id))
    # The customer's own entries, and those of its communications (those the user may read: a
    # record on a hidden requirement is hidden here too) and transactions.
    communication_ids = select(Communication.id).where(
        Communication.customer_id == customer.id, readable_communications()
    )
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
    changes = {e.id: describe(db.session, e.changes or {}, entity=e.entity_type) for e in entries}
    return render_template(
        "customers/history.html",
        customer=customer,
        entries=entries,
        changes=changes,
        actors=actors,
        action_label=action_label,
    )
