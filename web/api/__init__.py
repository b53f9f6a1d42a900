"""The JSON API under /api/v1, documented by flask-smorest at /api/v1/openapi.json.

Blueprints are grouped by domain as `workflows/` is (`customers/`, `tracking/`, `platform/`);
`records` declares a versioned record's read/PATCH/DELETE/restore endpoints with conditional
requests (`conditional`)."""

from flask import Flask
from flask_smorest import Api

from web.api.analytics import reports
from web.api.customers import communications, custom_fields, organisations, profiles, transactions
from web.api.platform import health, tokens
from web.api.tracking import requirements, sla
from web.extensions import csrf

api = Api()

API_SETTINGS = {
    "API_TITLE": "Rapport",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.0.3",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    "OPENAPI_SWAGGER_UI_PATH": "docs",
    # Served from our static files: users may be offline, so no CDN.
    "OPENAPI_SWAGGER_UI_URL": "/static/vendor/swagger-ui/",
}


def register(app: Flask) -> None:
    for key, value in API_SETTINGS.items():
        app.config.setdefault(key, value)
    app.config.setdefault(
        "API_SPEC_OPTIONS",
        {
            "security": [{"bearerAuth": []}],
            "info": {
                "description": "Rapport's API. Authenticate with `Authorization: Bearer <token>`; "
                "create a token on your account page or with `flask tokens create`. Errors are "
                "`application/problem+json` (RFC 9457); validation errors name each field in "
                "`errors`."
            },
        },
    )
    api.init_app(app)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for blueprint in (
        tokens.blp,
        health.blp,
        profiles.blp,
        communications.blp,
        transactions.blp,
        organisations.blp,
        custom_fields.blp,
        requirements.blp,
        sla.blp,
        reports.blp,
    ):
        csrf.exempt(blueprint)  # bearer tokens, not cookies: nothing to forge
        api.register_blueprint(blueprint)
