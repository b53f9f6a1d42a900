"""RFC 9457 problem details for everything under /api/."""

from typing import Any

from flask import Response, jsonify
from flask_babel import lazy_gettext as _l
from werkzeug.http import HTTP_STATUS_CODES

from web.schema_words import schema_message
from workflows.platform.field_messages import Message

PROBLEM_MIMETYPE = "application/problem+json"

# A problem's `title`, in the client's language (Accept-Language); `type` and `status` are the
# stable codes a program reads. English as the HTTP standard names them.
TITLES = {
    400: _l("Bad Request"),
    401: _l("Unauthorized"),
    403: _l("Forbidden"),
    404: _l("Not Found"),
    405: _l("Method Not Allowed"),
    406: _l("Not Acceptable"),
    409: _l("Conflict"),
    410: _l("Gone"),
    412: _l("Precondition Failed"),
    413: _l("Request Entity Too Large"),
    415: _l("Unsupported Media Type"),
    422: _l("Unprocessable Entity"),
    428: _l("Precondition Required"),
    429: _l("Too Many Requests"),
    500: _l("Internal Server Error"),
    503: _l("Service Unavailable"),
}


def problem(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> Response:
    """A problem+json response; `errors` maps each offending field to its messages."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title or str(TITLES.get(status) or HTTP_STATUS_CODES.get(status, "Error")),
        "status": status,
    }
    if detail:
        body["detail"] = str(detail)
    if errors:
        body["errors"] = in_words_all(errors)
    body.update(extra)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_MIMETYPE
    return response


def in_words_all(errors: dict[str, Any]) -> dict[str, Any]:
    """Field messages in the client's language: a workflow's `Message` (an English `str` that
    JSON would send as it is) becomes its words for the request's Accept-Language; plain
    strings and codes are kept."""
    return {
        key: [str(m) if isinstance(m, Message) else m for m in messages]
        if isinstance(messages, list)
        else str(messages)
        if isinstance(messages, Message)
        else messages
        for key, messages in errors.items()
    }


def flatten_webargs_messages(messages: dict[str, Any]) -> dict[str, list[str]]:
    """webargs groups messages by location (`json`, `query`); a client wants field names.
    marshmallow's own messages become Messages (`web.schema_words`), shown in the client's
    language like a workflow's."""
    errors: dict[str, list[str]] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(f"{prefix}.{key}" if prefix else str(key), inner)
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            errors.setdefault(prefix or "_body", []).extend(map(schema_message, value))
        else:
            errors.setdefault(prefix or "_body", []).append(str(value))

    for location_messages in messages.values():
        walk("", location_messages)
    return errors
