"""The public unsubscribe page: GET asks to confirm, POST (also the RFC 8058 one-click POST from
mail clients) puts the address on the suppression list and stops every running enrolment."""

from flask import abort, render_template

from web.clocks import current_clock
from web.extensions import db, limiter
from web.outreach import public
from web.outreach.settings import link_settings
from workflows.outreach import links, stops


def _read(token: str) -> tuple[int, str]:
    found = links.read_token(link_settings(), token)
    if found is None:
        abort(404, "This unsubscribe link is not valid.")
    return found


@public.get("/unsubscribe/<token>")
def confirm(token: str) -> str:
    _customer_id, email = _read(token)
    return render_template("outreach/unsubscribe.html", email=email, token=token, done=False)


@public.post("/unsubscribe/<token>")
@limiter.limit("30 per minute")
def unsubscribe(token: str) -> str:
    customer_id, email = _read(token)
    stops.unsubscribe(db.session, customer_id, email, clock=current_clock())
    db.session.commit()
    return render_template("outreach/unsubscribe.html", email=email, token=token, done=True)
