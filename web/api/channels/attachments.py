"""Attachment downloads over the API (the same access check as the page)."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from web.access import acting_user
from web.attachments import download, get_attachment_or_404

blp = Blueprint(
    "api_attachments", __name__, url_prefix="/api/v1", description="Files that came with email"
)


@blp.route("/attachments/<int:attachment_id>")
class AttachmentFile(MethodView):
    @blp.response(
        200,
        content_type="application/octet-stream",
        description="The file, as a download (Content-Disposition: attachment).",
    )
    @blp.alt_response(404, description="No such attachment, or it was refused and not kept.")
    def get(self, attachment_id: int) -> Response:
        """Download an attachment (agents and up)."""
        return download(get_attachment_or_404(attachment_id, acting_user()))
