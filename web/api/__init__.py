"""The JSON API under /api/v1, documented by flask-smorest at /api/v1/openapi.json.

Blueprints are grouped by domain as `workflows/` is (`customers/`, `tracking/`, `platform/`);
`records` declares a versioned record's read/PATCH/DELETE/restore endpoints with conditional
requests (`conditional`)."""

import http

from flask import Flask
from flask_smorest import Api
from flask_smorest.spec import prepare_response

from web.api.analytics import reports, strategy_results
from web.api.channels import attachments, canned, inbound, replies
from web.api.customers import communications, custom_fields, organisations, profiles, transactions
from web.api.outreach import strategies as outreach_strategies
from web.api.platform import health, tokens
from web.api.privacy import subjects
from web.api.schemas import ProblemSchema
from web.api.tracking import categories, notifications, requirements, saved_views, sla
from web.extensions import csrf
from web.problems import PROBLEM_MIMETYPE


class ProblemApi(Api):
    """flask-smorest, with every error response documented as what `web.errors` sends:
    `application/problem+json` (RFC 9457) with `errors` naming each field. Every operation
    carries the `default` error response, so a client (or schemathesis) can rely on the shape
    of any 4xx."""

    ERROR_SCHEMA = ProblemSchema

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, object] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM_MIMETYPE)
            elif not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "An error, as problem details", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_MIMETYPE)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


api = ProblemApi()

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
    api.spec.components.security_scheme(
        "signature",
        {
            "type": "apiKey",
            "in": "header",
            "name": inbound.SIGNATURE_HEADER,
            "description": "sha256=<hex HMAC-SHA256 of the body keyed by INBOUND_HTTP_SECRET>",
        },
    )
    for blueprint in (
        tokens.blp,
        health.blp,
        profiles.blp,
        communications.blp,
        transactions.blp,
        organisations.blp,
        custom_fields.blp,
        requirements.blp,
        categories.blp,
        saved_views.blp,
        sla.blp,
        notifications.blp,
        subjects.blp,
        inbound.blp,
        attachments.blp,
        replies.blp,
        canned.blp,
        outreach_strategies.blp,
        reports.blp,
        strategy_results.blp,
    ):
        csrf.exempt(blueprint)  # bearer tokens, not cookies: nothing to forge
        api.register_blueprint(blueprint)
