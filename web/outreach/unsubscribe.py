"""The public unsubscribe page: GET asks to confirm, POST (also the RFC 8058 one-click POST from
mail clients) puts the address on the suppression list and stops every running enrolment."""

from flask import abort, render_template
from flask_babel import gettext as _

from models import Customer
from web.clocks import current_clock
from web.extensions import db, limiter
from web.outreach import public
from web.outreach.settings import link_settings
from workflows.outreach import links, stops


def _read(token: str) -> tuple[int, str]:
    """The customer and the address to suppress: their primary email now."""
    customer_id = links.read_token(link_settings(), token)
    customer = db.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None or not customer.primary_email:
        abort(404, _("This unsubscribe link is not valid."))
    return customer.id, customer.primary_email


@public.get("/u/<token>")
def confirm(token: str) -> str:
    _customer_id, email = _read(token)
    return render_template("outreach/unsubscribe.html", email=email, token=token, done=False)


@public.post("/u/<token>")
@limiter.limit("30 per minute")
def unsubscribe(token: str) -> str:
    customer_id, email = _read(token)
    stops.unsubscribe(db.session, customer_id, email, clock=current_clock())
    db.session.commit()
    return render_template("outreach/unsubscribe.html", email=email, token=token, done=True)
