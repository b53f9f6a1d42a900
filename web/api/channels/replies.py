"""A requirement's conversation over the API: reply to the customer (optionally "send and …"
a trigger in the same transaction), add an internal note, read the whole thread."""

import base64
import binascii
from typing import Any

import marshmallow as ma
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Role
from web.access import acting_user
from web.api.conditional import IDEMPOTENCY_DOC, idempotent, require_role
from web.api.tracking.requirements import get_requirement_or_404
from web.clocks import current_clock
from web.extensions import db
from web.reply_files import reply_file, reply_files
from web.requirements.access import everyone_sees_everything
from workflows.channels import bodies, replies, threads
from workflows.channels.inbound_parse import ParsedAttachment
from workflows.platform.errors import ValidationFailed

blp = Blueprint(
    "api_replies",
    __name__,
    url_prefix="/api/v1",
    description="Replies to the customer, internal notes and a requirement's thread",
)

FORMATS = [f.value for f in bodies.BodyFormat]


class AttachmentInSchema(ma.Schema):
    filename = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=255))
    content_type = ma.fields.String(
        validate=ma.validate.Length(max=127),
        metadata={"description": "e.g. application/pdf; default: guessed from the name."},
    )
    content = ma.fields.String(required=True, metadata={"description": "The bytes, base64."})


class ReplyInSchema(ma.Schema):
    """Checked by the workflow, which names every bad field in one 422."""

    class Meta:
        unknown = ma.INCLUDE

    body = ma.fields.String(required=True, metadata={"description": "Markdown or plain text."})
    body_format = ma.fields.String(
        load_default="markdown", metadata={"enum": FORMATS, "description": "How `body` reads."}
    )
    to = ma.fields.String(
        metadata={"description": "Recipient; default: the customer's primary email."}
    )
    cc = ma.fields.List(ma.fields.String(), metadata={"description": "More recipients."})
    subject = ma.fields.String(
        metadata={"description": "Default `[#<id>] <title>`; the `[#<id>]` tag is kept."}
    )
    then = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "A trigger to fire with the reply, e.g. `ask_customer` (send and "
            "wait on customer) or `resolve` (send and resolve); if refused, nothing is sent."
        },
    )
    resolution_note = ma.fields.String(
        allow_none=True, metadata={"description": "The note `then: resolve` needs."}
    )
    attachments = ma.fields.List(
        ma.fields.Nested(AttachmentInSchema),
        metadata={
            "description": "Files sent with the reply (REPLY_ATTACHMENTS_MAX_COUNT files, "
            "REPLY_ATTACHMENTS_MAX_TOTAL_BYTES in all, ATTACHMENTS_ALLOWED_TYPES)."
        },
    )


class NoteInSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    body = ma.fields.String(required=True)
    body_format = ma.fields.String(load_default="markdown", metadata={"enum": FORMATS})


class MessageFileSchema(ma.Schema):
    id = ma.fields.Integer(metadata={"description": "GET /api/v1/attachments/{id} downloads it"})
    filename = ma.fields.String()
    content_type = ma.fields.String()
    size = ma.fields.Integer()
    refusal = ma.fields.String(
        allow_none=True, metadata={"description": "Why a received file was not kept"}
    )


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(
        allow_none=True, metadata={"description": "The communication's id; null for a notice."}
    )
    requirement_id = ma.fields.Integer()
    customer_id = ma.fields.Integer()
    channel = ma.fields.String(metadata={"description": "email, note, call, visit, …"})
    direction = ma.fields.String(metadata={"enum": ["inbound", "outbound", "internal"]})
    occurred_at = ma.fields.AwareDateTime(attribute="at")
    subject = ma.fields.String(allow_none=True)
    body_html = ma.fields.String(allow_none=True, metadata={"description": "Sanitised"})
    body_text = ma.fields.String(allow_none=True)
    author_id = ma.fields.Integer(allow_none=True)
    author = ma.fields.String(allow_none=True)
    participants = ma.fields.List(ma.fields.String())
    message_id = ma.fields.String(
        allow_none=True, metadata={"description": "The email's Message-ID"}
    )
    delivery = ma.fields.String(
        allow_none=True,
        metadata={
            "enum": ["queued", "sent", "failed", "bounced"],
            "description": "For email Rapport sent; null otherwise.",
        },
    )
    delivery_error = ma.fields.String(allow_none=True)
    sent_at = ma.fields.AwareDateTime(allow_none=True)
    notice = ma.fields.String(
        allow_none=True,
        metadata={"description": "An automatic notice's kind, e.g. customer_reminder_1"},
    )
    attachments = ma.fields.List(ma.fields.Nested(MessageFileSchema))


def _decoded(files: list[dict[str, Any]]) -> list[ParsedAttachment]:
    found, errors = [], {}
    for index, file in enumerate(files):
        try:
            data = base64.b64decode(file["content"], validate=True)
        except (binascii.Error, ValueError):
            errors[f"attachments.{index}.content"] = ["Not base64."]  # as marshmallow names it
            continue
        found.append(reply_file(file["filename"], file.get("content_type"), data))
    if errors:
        raise ValidationFailed(errors)
    return found


def _message(requirement_id: int, communication_id: int) -> threads.ThreadMessage:
    return next(m for m in threads.messages(db.session, requirement_id) if m.id == communication_id)


@blp.route("/requirements/<int:requirement_id>/replies")
class Replies(MethodView):
    @idempotent
    @blp.arguments(ReplyInSchema)
    @blp.response(201, MessageSchema)
    @blp.alt_response(409, description="`then` refused by the workflow, or a finished requirement")
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any], requirement_id: int) -> Any:
        """Email the customer about the requirement: queued in the outbox once (a fixed
        Message-ID, threading headers and a signed Reply-To), with any attached files, on the
        customer's timeline, and meeting the first/next-response clock now."""
        require_role(Role.AGENT)
        requirement = get_requirement_or_404(requirement_id)
        files = reply_files(_decoded(data.pop("attachments", None) or []))
        communication = replies.send_reply(
            db.session, requirement, data, actor=acting_user(), clock=current_clock(), files=files
        )
        db.session.commit()
        return _message(requirement_id, communication.id)


@blp.route("/requirements/<int:requirement_id>/notes")
class Notes(MethodView):
    @idempotent
    @blp.arguments(NoteInSchema)
    @blp.response(201, MessageSchema)
    @blp.doc(parameters=[IDEMPOTENCY_DOC])
    def post(self, data: dict[str, Any], requirement_id: int) -> Any:
        """An internal note on the requirement: staff only, never sent, moves no clock."""
        require_role(Role.AGENT)
        requirement = get_requirement_or_404(requirement_id)
        communication = replies.add_note(
            db.session,
            requirement,
            data,
            actor=acting_user(),
            clock=current_clock(),
            everyone_sees_everything=everyone_sees_everything(),
        )
        db.session.commit()
        return _message(requirement_id, communication.id)


@blp.route("/requirements/<int:requirement_id>/messages")
class Messages(MethodView):
    @blp.response(200, MessageSchema(many=True))
    def get(self, requirement_id: int) -> Any:
        """The whole thread, oldest first: the customer's emails, replies and automatic notices
        with their delivery status, notes and any other communication linked to the
        requirement."""
        require_role(Role.AGENT)
        get_requirement_or_404(requirement_id)
        return threads.messages(db.session, requirement_id)
