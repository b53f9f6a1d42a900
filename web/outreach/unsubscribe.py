"""The public unsubscribe page: GET asks to confirm, POST (also the RFC 8058 one-click POST from
mail clients) puts the address on the suppression list and stops every running enrolment. The
page speaks the customer's language (the email's), else the browser's."""

from contextlib import nullcontext

from flask import abort, render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from models import Customer
from web.clocks import current_clock
from web.extensions import db, limiter
from web.outreach import public
from web.outreach.settings import link_settings
from workflows.outreach import links, stops
from workflows.platform.i18n import supported_locale


def _read(token: str) -> tuple[int, str, str | None]:
    """The customer, the address to suppress (their primary email now) and their language."""
    customer_id = links.read_token(link_settings(), token)
    customer = db.session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None or not customer.primary_email:
        abort(404, _("This unsubscribe link is not valid."))
    return customer.id, customer.primary_email, supported_locale(customer.language)


def _page(email: str, token: str, *, done: bool, locale: str | None) -> str:
    with force_locale(locale) if locale else nullcontext():
        return render_template("outreach/unsubscribe.html", email=email, token=token, done=done)


@public.get("/u/<token>")
def confirm(token: str) -> str:
    _customer_id, email, locale = _read(token)
    return _page(email, token, done=False, locale=locale)


@public.post("/u/<token>")
@limiter.limit("30 per minute")
def unsubscribe(token: str) -> str:
    customer_id, email, locale = _read(token)
    stops.unsubscribe(db.session, customer_id, email, clock=current_clock())
    db.session.commit()
    return _page(email, token, done=True, locale=locale)
