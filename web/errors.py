"""Every error, mapped to HTTP in one place: HTML pages for the UI, problem+json under /api/."""

from typing import Any

from flask import Flask, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DataError, StatementError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException, InternalServerError

from web.extensions import db
from web.input_guard import culprit, refuse
from web.problems import flatten_webargs_messages, problem
from workflows.platform.errors import Conflict, StaleEdit, ValidationFailed
from workflows.tracking.requirements import NotPermitted, TransitionRefused

FRIENDLY: dict[int, tuple[Any, Any]] = {
    400: (
        _l("Bad request"),
        _l("The request could not be understood. Reload the page and try again."),
    ),
    401: (_l("Sign-in needed"), _l("Please sign in to continue.")),
    403: (_l("Not allowed"), _l("Your role does not allow this. Ask an admin if you need it.")),
    404: (_l("Not found"), _l("There is nothing here. It may have been moved or deleted.")),
    405: (_l("Not possible here"), _l("This page cannot do that. Go back and use its buttons.")),
    409: (
        _l("Conflict"),
        _l("Someone changed this at the same time. Reload to see their version."),
    ),
    410: (_l("Gone"), _l("This was removed for good.")),
    412: (
        _l("Changed meanwhile"),
        _l("Someone changed this after you opened it. Reload to see it."),
    ),
    413: (_l("Too large"), _l("What you sent is too large. Send a smaller file or less text.")),
    415: (_l("Unsupported format"), _l("This kind of file or data is not accepted here.")),
    422: (_l("Not saved"), _l("Some of what you entered is not valid. Go back and correct it.")),
    429: (_l("Too many attempts"), _l("Too many attempts in a short time. Wait a few minutes.")),
    500: (
        _l("Something went wrong"),
        _l("An error on our side; it has been logged. Please try again."),
    ),
}


def wants_problem() -> bool:
    return request.path.startswith("/api/")


def handle_http_exception(exc: HTTPException) -> Response | tuple[str, int]:
    code = exc.code or 500
    if wants_problem():
        errors = None
        data = getattr(exc, "data", None)
        if isinstance(data, dict) and "messages" in data:
            errors = flatten_webargs_messages(data["messages"])
        detail = exc.description
        if errors:
            detail = _("Some fields are not valid.")
        elif exc.description == type(exc).description and code in FRIENDLY:
            detail = str(FRIENDLY[code][1])  # Werkzeug's stock English, in the client's language
        response = problem(code, detail=detail, errors=errors)
        for name, value in exc.get_headers() if code in (401, 405, 429) else []:
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
    title, default = FRIENDLY.get(code, (exc.name, exc.description))
    own_words = exc.description and exc.description != type(exc).description
    description = exc.description if own_words and code in (400, 403, 429) else default
    if code == 429:
        description = _(
            "Too many attempts (%(limit)s). Wait a few minutes and try again.",
            limit=exc.description,
        )
    return render_template(
        "errors/error.html", code=code, title=title, description=description
    ), code


def handle_validation(exc: ValidationFailed) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem():
        return problem(422, detail=_("Some fields are not valid."), errors=exc.errors)
    return render_template(
        "errors/error.html", code=422, title=_("Not saved"), description=str(exc)
    ), 422


def handle_stale(exc: StaleEdit) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem():
        return problem(412, detail=str(exc), current_version=exc.current_version)
    return render_template(
        "errors/error.html", code=409, title=_("Conflict"), description=str(exc)
    ), 409


def handle_transition_refused(exc: TransitionRefused) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem():
        return problem(409, detail=str(exc), allowed=exc.allowed, trigger=exc.trigger)
    return render_template(
        "errors/error.html", code=409, title=_("Not possible now"), description=str(exc)
    ), 409


def handle_not_permitted(exc: NotPermitted) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem():
        return problem(403, detail=str(exc))
    return render_template(
        "errors/error.html", code=403, title=_("Not allowed"), description=str(exc)
    ), 403


def handle_conflict(exc: Conflict) -> Response | tuple[str, int]:
    db.session.rollback()
    if wants_problem():
        return problem(409, detail=str(exc))
    return render_template(
        "errors/error.html", code=409, title=_("Conflict"), description=str(exc)
    ), 409


def handle_concurrent_edit(exc: StaleDataError) -> Response | tuple[str, int]:
    """Two saves passed the version check at once; the database let only one through."""
    db.session.rollback()
    detail = _(
        "Someone saved this record at the same moment. Reload it and apply your change again."
    )
    if wants_problem():
        return problem(409, detail=detail)
    return render_template(
        "errors/error.html", code=409, title=_("Conflict"), description=detail
    ), 409


def handle_overflow(exc: Exception) -> Response | tuple[str, int]:
    """A number or date the input allowed overflowed a computation or a 64-bit column: 422
    naming the input (`input_guard.culprit`); anything else stays a logged 500."""
    other_statement_error = isinstance(exc, StatementError) and not isinstance(exc, DataError)
    if other_statement_error and not isinstance(exc.orig, OverflowError):
        return handle_unexpected(exc)
    field = culprit()
    if field is None:
        return handle_unexpected(exc)
    db.session.rollback()
    return refuse({field: [_("This number or date is out of range.")]})


def handle_unexpected(exc: Exception) -> Response | tuple[str, int]:
    db.session.rollback()
    current_app.logger.exception("unhandled error on %s %s", request.method, request.path)
    return handle_http_exception(InternalServerError())


def register(app: Flask) -> None:
    # Registered after flask-smorest, so this replaces its JSON handler for HTTPException.
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ValidationFailed, handle_validation)
    app.register_error_handler(StaleEdit, handle_stale)
    app.register_error_handler(StaleDataError, handle_concurrent_edit)
    app.register_error_handler(TransitionRefused, handle_transition_refused)
    app.register_error_handler(NotPermitted, handle_not_permitted)
    app.register_error_handler(Conflict, handle_conflict)
    app.register_error_handler(OverflowError, handle_overflow)
    app.register_error_handler(StatementError, handle_overflow)
    app.register_error_handler(Exception, handle_unexpected)
