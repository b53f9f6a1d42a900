"""Input every request must pass before any view sees it, checked in one place: no NUL or other
control characters in any text (forms, query strings, JSON), no lone surrogates, no JSON nested
deeper than `MAX_JSON_DEPTH`, no integer beyond a 64-bit column, no non-finite number. A refusal
is 422 naming the field (problem+json under /api/, the error page elsewhere). An API body that
is not JSON is 415.

What slips past (a number or date that only overflows once a view computes with it) reaches
`web.errors.handle_overflow`, which names the culprit (`culprit`) from the same inputs, so the
answer is still a 422."""

import json
import math
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Flask, Response, render_template, request
from flask_babel import gettext as _

from web.problems import problem

MAX_JSON_DEPTH = 32
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
# PostgreSQL's INTEGER (every id column): a larger number in a query is a DataError there.
INT32_MAX = 2**31 - 1
# C0 controls except tab, newline and carriage return; DEL; C1 controls.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
INTEGER_RE = re.compile(r"^\s*[+-]?\d+\s*$")
JSON_TYPES = ("application/json", "application/problem+json", "application/merge-patch+json")


class _TooDeep(Exception):
    pass


def text_problem(value: str) -> str | None:
    """Why `value` is not acceptable text, or None."""
    if CONTROL_RE.search(value):
        return _("Remove the control characters (such as NUL) from this text.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return _("This text is not valid Unicode (a lone surrogate).")
    return None


def _walk(value: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_JSON_DEPTH:
        raise _TooDeep
    if isinstance(value, str):
        if message := text_problem(value):
            yield path, message
    elif isinstance(value, bool):
        return
    elif isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            yield path, _("This number is too large (at most %(max)s).", max=INT_MAX)
    elif isinstance(value, float):
        if not math.isfinite(value):
            yield path, _("Send a finite number.")
    elif isinstance(value, dict):
        for key, inner in value.items():
            child = f"{path}.{key}" if path else str(key)
            if message := text_problem(str(key)):
                yield child, message
            yield from _walk(inner, child, depth + 1)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _walk(inner, f"{path}.{index}" if path else str(index), depth + 1)


def _first_json_problem(raw: bytes) -> tuple[str, str] | None:
    try:
        data = json.loads(raw)
    except RecursionError:
        return "_body", _("The JSON is nested too deeply (at most %(n)s levels).", n=MAX_JSON_DEPTH)
    except ValueError:
        return None  # not JSON at all: the view's parser answers that
    try:
        return next(_walk(data, "", 0), None)
    except _TooDeep:
        return "_body", _("The JSON is nested too deeply (at most %(n)s levels).", n=MAX_JSON_DEPTH)


def refuse(errors: dict[str, list[str]]) -> Response | tuple[str, int]:
    if request.path.startswith("/api/"):
        return problem(422, detail=_("Some fields are not valid."), errors=errors)
    field, messages = next(iter(errors.items()))
    description = f"“{field}”: {' '.join(map(str, messages))}"
    return render_template(
        "errors/error.html", code=422, title=_("Not accepted"), description=description
    ), 422


# API paths that take a documented non-JSON body: a raw email in.
RAW_BODY_TYPES = {
    "/api/v1/inbound/email": ("message/rfc822", "application/octet-stream", "text/plain")
}


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "")


def check_request() -> Response | tuple[str, int] | None:
    if (
        request.path.startswith("/api/")
        and request.method in ("POST", "PUT", "PATCH")
        and _has_body()
        and request.mimetype not in JSON_TYPES
        and request.mimetype not in RAW_BODY_TYPES.get(request.path, ())
    ):
        detail = _(
            "Send the body as application/json, not %(type)s.",
            type=request.mimetype or _("untyped"),
        )
        return problem(415, detail=detail)
    errors: dict[str, list[str]] = {}
    for name, value in (request.view_args or {}).items():
        if isinstance(value, int) and not INT_MIN <= value <= INT_MAX:
            errors.setdefault(name, []).append(_("This number is too large."))
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            for text in (name, value):
                if message := text_problem(text):
                    errors.setdefault(name, []).append(message)
    if request.mimetype in JSON_TYPES and request.content_length != 0:
        found = _first_json_problem(request.get_data(cache=True))
        if found:
            errors.setdefault(found[0], []).append(found[1])
    return refuse(errors) if errors else None


def _edge_date(value: str) -> bool:
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return parsed.year <= 1 or parsed.year >= 9999


def culprit() -> str | None:
    """The input that most likely overflowed: an integer beyond 64 bits or a date at the edge
    of the calendar, in the path, query, form or JSON body."""
    candidates: list[tuple[str, Any]] = list((request.view_args or {}).items())
    for source in (request.args, request.form):
        candidates += list(source.items(multi=True))
    if request.mimetype in JSON_TYPES:
        try:
            body = json.loads(request.get_data(cache=True))
        except (ValueError, RecursionError):
            body = None
        stack = [("", body)]
        while stack:
            path, value = stack.pop()
            if isinstance(value, dict):
                stack += [(f"{path}.{k}" if path else str(k), v) for k, v in value.items()]
            elif isinstance(value, list):
                stack += [(f"{path}.{i}" if path else str(i), v) for i, v in enumerate(value)]
            else:
                candidates.append((path, value))
    for name, value in candidates:
        if isinstance(value, int) and not isinstance(value, bool):
            if abs(value) > INT32_MAX:
                return name
        elif isinstance(value, str):
            if INTEGER_RE.match(value) and abs(int(value)) > INT32_MAX:
                return name
            if _edge_date(value):
                return name
    return None


def register(app: Flask) -> None:
    app.before_request(check_request)
