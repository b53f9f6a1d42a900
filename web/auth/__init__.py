"""Sign-in and sign-out, sessions, and bearer tokens for the API."""

import hmac

from flask import Flask, Response, g, request
from sqlalchemy import select

from models import User
from web.auth import invitation  # noqa: F401  (its routes join the blueprint)
from web.auth.views import bp
from web.clocks import current_clock
from web.extensions import db, login_manager
from web.problems import problem
from web.request_cache import remember
from workflows.platform import accounts
from workflows.tracking.notifications import unread_count_of

UNREAD_KEY = "unread_notifications"  # the bell's count, read with the user (request cache)

API_PREFIX = "/api/v1/"
PUBLIC_API_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")
# Requests that carry a body signature instead of a token; the view checks the signature.
SIGNED_API_PATHS = {"/api/v1/inbound/email": "X-Rapport-Signature"}


def _load_user(session_id: str) -> User | None:
    user_id, _, _fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    row = db.session.execute(
        select(User, unread_count_of(User.id)).where(User.id == int(user_id))
    ).first()
    if row is None or not row[0].is_active:
        return None
    user, unread = row
    remember(UNREAD_KEY, unread)
    return user if hmac.compare_digest(user.get_id(), session_id) else None


def _authenticate_api() -> Response | None:
    """Every `/api/v1/` request except the docs carries `Authorization: Bearer <token>`."""
    if not request.path.startswith(API_PREFIX) or request.path.startswith(PUBLIC_API_PATHS):
        return
    signature_header = SIGNED_API_PATHS.get(request.path)
    if signature_header and request.headers.get(signature_header):
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    user = None
    if scheme.lower() == "bearer" and secret.strip():
        user = accounts.user_for_token(db.session, secret.strip(), clock=current_clock())
    if user is None:
        response = problem(401, detail="Send a valid API token as 'Authorization: Bearer …'.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="rapport"'
        return response
    db.session.commit()  # records last_used_at
    g.api_user = user
    return None


def register(app: Flask) -> None:
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.before_request(_authenticate_api)
    app.register_blueprint(bp)
