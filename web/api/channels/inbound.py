"""POST /api/v1/inbound/email: a raw RFC 5322 message from a mail provider that forwards by
HTTP. Authenticated with an admin's API token, or with `X-Rapport-Signature: sha256=<hex>`, an
HMAC-SHA256 of the body keyed by INBOUND_HTTP_SECRET (the auth hook lets signed requests
through to this view, which checks the signature)."""

import hashlib
import hmac
from typing import Any

import marshmallow as ma
from flask import current_app, request
from flask.views import MethodView
from flask_smorest import Blueprint

from models import Role
from web.access import acting_user, can
from web.inbound import receive
from web.problems import problem
from workflows.channels.inbound import InboundRefused

SIGNATURE_HEADER = "X-Rapport-Signature"
PATH = "/api/v1/inbound/email"

blp = Blueprint("api_inbound", __name__, url_prefix="/api/v1", description="Email received by HTTP")


class ReceiptSchema(ma.Schema):
    inbound_email_id = ma.fields.Integer()
    kind = ma.fields.Function(lambda r: r.kind.value)
    message_id = ma.fields.String()
    duplicate = ma.fields.Boolean(metadata={"description": "Already received: stored once."})
    communication_id = ma.fields.Integer(allow_none=True)
    requirement_id = ma.fields.Integer(allow_none=True)
    customer_id = ma.fields.Integer(allow_none=True)
    matched_by = ma.fields.String(allow_none=True)


class RecipientQuerySchema(ma.Schema):
    recipient = ma.fields.List(
        ma.fields.String(),
        metadata={"description": "Envelope recipients; default: the message's To and Cc."},
    )


def signature_valid(body: bytes, header: str) -> bool:
    secret = current_app.config.get("INBOUND_HTTP_SECRET")
    if not secret or not header:
        return False
    expected = hmac.new(str(secret).encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(header.strip().removeprefix("sha256="), expected)


@blp.route("/inbound/email")
class InboundEmail(MethodView):
    @blp.arguments(RecipientQuerySchema, location="query")
    @blp.response(201, ReceiptSchema, description="Stored.")
    @blp.alt_response(200, schema=ReceiptSchema, description="Already received (same Message-ID).")
    @blp.alt_response(413, description="Larger than INBOUND_MAX_BYTES.")
    @blp.alt_response(422, description="Not a readable message, or no recipient of ours.")
    @blp.alt_response(429, description="The sender sent too many messages this minute.")
    @blp.doc(
        requestBody={
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        },
        security=[{"bearerAuth": []}, {"signature": []}],
    )
    def post(self, query: dict[str, Any]) -> Any:
        """Receive one raw email (RFC 5322 bytes as the body)."""
        request.max_content_length = int(current_app.config["INBOUND_MAX_BYTES"])
        body = request.get_data(cache=True)
        if request.headers.get(SIGNATURE_HEADER):
            if not signature_valid(body, request.headers[SIGNATURE_HEADER]):
                return problem(401, detail=f"{SIGNATURE_HEADER} does not match the body.")
        elif not can(acting_user(), Role.ADMIN):
            return problem(403, detail="Receiving email needs an admin's token or a signature.")
        try:
            receipt = receive(body, query.get("recipient") or [])
        except InboundRefused as exc:
            return problem(exc.http_status, detail=exc.message, errors={"body": [exc.message]})
        return receipt, 200 if receipt.duplicate else 201
