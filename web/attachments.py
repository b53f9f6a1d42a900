"""Downloading an attachment: who may, and the response that cannot run in the browser. The
files an agent attaches to a reply are `web/reply_files.py`'s."""

from flask import Blueprint, Flask, Response, abort, current_app
from flask_login import login_required

from models import Attachment, Communication, Customer, Role, User
from web.access import acting_user, can
from web.extensions import db
from web.inbound import blob_store
from web.requirements.access import may_read_communication

bp = Blueprint("attachments", __name__, url_prefix="/attachments")


def get_attachment_or_404(attachment_id: int, user: User | None) -> Attachment:
    """An attachment whose customer and communication the user may see (agents and up;
    trashed customers' files only for supervisors, as their pages; a communication linked to a
    requirement only for those who may read the requirement); 404 otherwise, and for a refused
    file that was not kept."""
    if not can(user, Role.AGENT):
        abort(403, "Attachments need the agent role.")
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None or attachment.sha256 is None:
        abort(404, "No such attachment.")
    communication = db.session.get(Communication, attachment.communication_id)
    customer = db.session.get(Customer, communication.customer_id) if communication else None
    if customer is None or communication.deleted_at is not None:
        abort(404, "No such attachment.")
    if customer.deleted_at is not None and not can(user, Role.SUPERVISOR):
        abort(404, "No such attachment.")
    if not may_read_communication(communication):  # on a requirement hidden from the user
        abort(404, "No such attachment.")
    return attachment


def download(attachment: Attachment) -> Response:
    """The file as a download: never rendered inline, never sniffed, sandboxed if opened."""
    try:
        data = blob_store(current_app.config).open(attachment.sha256 or "")
    except FileNotFoundError:
        abort(410, "The file is no longer in the attachment store.")
    response = Response(data, mimetype=attachment.content_type or "application/octet-stream")
    response.headers.set("Content-Disposition", "attachment", filename=attachment.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, max-age=0"
    return response


@bp.get("/<int:attachment_id>")
@login_required
def show(attachment_id: int) -> Response:
    return download(get_attachment_or_404(attachment_id, acting_user()))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
