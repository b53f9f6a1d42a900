"""HTTP security headers and the proxy in front, set once for every response.

Flask-Talisman sends a strict Content-Security-Policy (scripts only from our own static files
or with the per-request nonce, no inline handlers; no framing), `X-Content-Type-Options:
nosniff`, a Referrer-Policy and, when cookies are Secure (the site is served over HTTPS), HSTS.
API responses and pages for a signed-in user are `Cache-Control: no-store`, so a shared or
back-button cache never shows someone's customers to the next person. `TRUSTED_PROXIES` > 0
makes Werkzeug's ProxyFix believe that many proxies' `X-Forwarded-For`/`-Proto` (and nobody
else's), so per-IP sign-in limits see the real client behind docker-compose's Caddy."""

from typing import Any

from flask import Flask, Response, request
from flask_login import current_user
from flask_talisman import Talisman
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    # Remote images in communication bodies load only after "Show images" (data-src until then).
    "img-src": ["'self'", "data:", "https:"],
    "connect-src": "'self'",
    "font-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

talisman = Talisman()


def _no_store(response: Response) -> Response:
    if request.path.startswith("/static/"):
        return response
    if request.path.startswith("/api/") or current_user.is_authenticated:
        response.headers["Cache-Control"] = "no-store"
    return response


DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"


def allow_docs_inline_styles(app: Flask) -> None:
    """Swagger UI (the vendored /api/v1/docs page) sets inline styles; that page alone may.
    Scripts stay strict there too. Call after the API is registered."""
    view = app.view_functions.get(DOCS_ENDPOINT)
    if view is None:
        return

    def docs(*args: Any, **kwargs: Any) -> Any:
        return view(*args, **kwargs)

    policy = {**CSP, "style-src": ["'self'", "'unsafe-inline'"]}
    docs.talisman_view_options = {"content_security_policy": policy}  # type: ignore[attr-defined]
    app.view_functions[DOCS_ENDPOINT] = docs


def register(app: Flask) -> None:
    secure = bool(app.config["SECURE_COOKIES"])
    talisman.init_app(
        app,
        force_https=False,  # the proxy redirects; tests and `bin/start` speak plain HTTP
        frame_options="DENY",
        strict_transport_security=secure,
        content_security_policy=CSP,
        content_security_policy_nonce_in=["script-src"],
        referrer_policy="strict-origin-when-cross-origin",
        session_cookie_secure=secure,
        session_cookie_http_only=True,
        session_cookie_samesite="Lax",
        x_content_type_options=True,
    )
    app.after_request(_no_store)
    proxies = int(app.config["TRUSTED_PROXIES"])
    if proxies > 0:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
