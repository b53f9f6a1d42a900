"""Writes the customer access log for reads. A view notes the access (`note_access`); after a
successful response the entries are written in a transaction of their own, so a page view (a
read) never upgrades its read transaction to a write, which SQLite may refuse under load."""

from flask import Flask, Response, g

from web.access import acting_user
from web.clocks import current_clock
from web.extensions import db
from workflows.privacy import access_log

NOTES_KEY = "privacy_access_notes"


def note_access(customer_id: int, action: str, *, via: str, detail: str | None = None) -> None:
    g.setdefault(NOTES_KEY, []).append((customer_id, action, via, detail))


def write_now(customer_id: int, action: str, *, via: str, detail: str | None = None) -> None:
    """For writes that commit anyway (a reveal, an export's own request): same transaction."""
    user = acting_user()
    access_log.record(
        db.session,
        user_id=user.id if user is not None else None,
        customer_id=customer_id,
        action=action,
        via=via,
        clock=current_clock(),
        detail=detail,
    )


def _flush_notes(response: Response) -> Response:
    notes = g.pop(NOTES_KEY, None)
    if not notes or response.status_code >= 400:
        return response
    user = acting_user()
    user_id = user.id if user is not None else None  # read before the rollback expires it
    db.session.rollback()  # end the request's read transaction; the log write starts afresh
    for customer_id, action, via, detail in notes:
        access_log.record(
            db.session,
            user_id=user_id,
            customer_id=customer_id,
            action=action,
            via=via,
            clock=current_clock(),
            detail=detail,
        )
    db.session.commit()
    return response


def install(app: Flask) -> None:
    app.after_request(_flush_notes)
