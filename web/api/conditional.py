"""HTTP preconditions and retries for the API: ETags from row versions, If-Match on writes,
optional Idempotency-Key on POST, and the role checks the record endpoints share."""

import contextlib
import hashlib
import json
import re
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Response, abort, make_response, request
from flask_babel import gettext as _
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from models import IdempotencyRecord, Role
from web.access import acting_user, can
from web.clocks import current_clock
from web.extensions import db
from web.i18n import ROLE_LABELS
from web.problems import problem
from workflows.platform.errors import StaleEdit

F = TypeVar("F", bound=Callable[..., Any])
ETAG_RE = re.compile(r'^(?:W/)?"(\d+)"$')
IN_PROGRESS = 0  # status_code of a reserved key whose request has not finished
REPLAYED_HEADERS = ("Location", "ETag")  # kept with the body (as JSON) for a replay

IF_MATCH_DOC = {
    "in": "header",
    "name": "If-Match",
    "required": True,
    "schema": {"type": "string"},
    "description": "The ETag of the version you read. Missing: 428; stale: 412.",
}
IDEMPOTENCY_DOC = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "A retry with the same key and body replays the first response instead of "
    "creating again; the same key with a different body is refused with 422.",
}


def etag(version: int) -> str:
    return f'"{version}"'


def with_etag(body: Any, version: int, status: int = 200, **headers: str) -> tuple[Any, int, dict]:
    """A view's return value carrying the row's ETag (304 when the caller already has it)."""
    tag = etag(version)
    if request.method == "GET" and request.if_none_match.contains(str(version)):
        abort(Response(status=304, headers={"ETag": tag}))
    return body, status, {"ETag": tag, **headers}


def expected_version(current_version: int) -> int:
    """The version named by If-Match: 428 when missing; StaleEdit (412) when it is not current.

    `*` means "any current version", as in RFC 9110."""
    header = request.headers.get("If-Match", "").strip()
    if not header:
        abort(428, "Send If-Match with the ETag you read, so an edit never overwrites another.")
    if header == "*":
        return current_version
    versions = [m.group(1) for part in header.split(",") if (m := ETAG_RE.match(part.strip()))]
    if str(current_version) in versions:
        return current_version
    raise StaleEdit(int(versions[0]) if versions else -1, current_version)


def require_role(role: Role) -> None:
    if not can(acting_user(), role):
        abort(403, _("This needs the %(role)s role.", role=ROLE_LABELS.get(role, role.value)))


def _digest() -> str:
    body = request.get_data()
    with contextlib.suppress(ValueError):  # not JSON: compare the raw bytes
        body = json.dumps(json.loads(body or b"null"), sort_keys=True).encode()
    return hashlib.sha256(
        request.method.encode() + b" " + request.path.encode() + b"\n" + body
    ).hexdigest()


def idempotent(view: F) -> F:
    """POST with an optional Idempotency-Key: the key is reserved (committed) before the view
    runs, so a concurrent retry gets 409 instead of creating twice; a 2xx response is stored and
    replayed for the same key and body; an error releases the key so the client can retry.
    A process killed mid-request leaves its key reserved (409 on every retry with it): the
    client then needs a new key, which is safer than risking a second create."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key:
            return view(*args, **kwargs)
        if len(key) > 200:
            return problem(422, errors={"Idempotency-Key": ["Use at most 200 characters."]})
        user_id, digest = acting_user().id, _digest()
        record = IdempotencyRecord(
            user_id=user_id,
            key=key,
            method=request.method,
            path=request.path,
            request_digest=digest,
            status_code=IN_PROGRESS,
            response_body="",
            created_at=current_clock().now(),
        )
        db.session.add(record)
        try:
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            return _replay(user_id, key, digest)
        record_id = record.id
        try:
            response = view(*args, **kwargs)
            response = response if isinstance(response, Response) else _to_response(response)
        except Exception:
            db.session.rollback()
            _release(record_id)
            raise
        if 200 <= response.status_code < 300:
            record.status_code = response.status_code
            replayed = {h: response.headers[h] for h in REPLAYED_HEADERS if h in response.headers}
            record.response_body = json.dumps(
                {"headers": replayed, "body": response.get_data(as_text=True)}
            )
            db.session.commit()
        else:
            db.session.rollback()
            _release(record_id)
        return response

    return wrapped  # type: ignore[return-value]


def _to_response(value: Any) -> Response:
    return make_response(value)


def _release(record_id: int) -> None:
    db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))
    db.session.commit()


def _replay(user_id: int, key: str, digest: str) -> Response:
    record = db.session.scalar(
        select(IdempotencyRecord).where(
            IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
        )
    )
    if record is None:  # released between our insert and this read: the client may retry
        return problem(409, detail="A request with this Idempotency-Key just failed; retry.")
    if record.request_digest != digest:
        return problem(
            422,
            detail="This Idempotency-Key was used for a different request.",
            errors={"Idempotency-Key": ["Already used with another method, path or body."]},
        )
    if record.status_code == IN_PROGRESS:
        return problem(409, detail="A request with this Idempotency-Key is still running.")
    stored = json.loads(record.response_body)
    response = Response(stored["body"], status=record.status_code, mimetype="application/json")
    response.headers.update(stored["headers"])
    response.headers["Idempotent-Replayed"] = "true"
    return response
