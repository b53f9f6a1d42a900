"""The customer page's "record a transaction" form: errors at each field (422), nothing saved."""

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from models import Role
from web.access import role_required
from web.clocks import current_clock
from web.customers import bp
from web.customers.access import get_customer_or_404
from web.customers.show import render_page
from web.extensions import db
from web.record_words import capitalised
from workflows.customers import transactions
from workflows.platform.errors import ValidationFailed


@bp.post("/<int:customer_id>/transactions")
@role_required(Role.AGENT)
def record_transaction(customer_id: int) -> Response | tuple[str, int]:
    customer = get_customer_or_404(customer_id)
    data = {f: request.form.get(f, "") for f in transactions.FIELDS}
    try:
        transactions.record_transaction(
            db.session, customer, data, actor_id=current_user.id, clock=current_clock()
        )
    except ValidationFailed as exc:
        db.session.rollback()
        return render_page(customer_id, tx_values=data, tx_errors=exc.errors), 422
    db.session.commit()
    flash(_("%(kind)s recorded.", kind=capitalised(data["kind"])), "success")
    return redirect(url_for("customers.show", customer_id=customer_id) + "#transactions")
