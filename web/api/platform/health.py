"""`GET /healthz`: 200 when every component is healthy, 503 naming those that are not."""

from typing import Any

import marshmallow as ma
from flask import jsonify
from flask_smorest import Blueprint

from web.health import run_checks

blp = Blueprint("health", __name__, url_prefix="/", description="Health of every component")


class HealthSchema(ma.Schema):
    status = ma.fields.String(metadata={"enum": ["ok", "fail"]})
    failing = ma.fields.List(ma.fields.String(), metadata={"description": "Unhealthy components"})
    checks = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Dict(),
        metadata={"description": "database, redis, worker, clock: ok, latency_ms, details"},
    )


@blp.route("/healthz")
@blp.doc(security=[])
@blp.response(200, HealthSchema, description="Every component is healthy")
@blp.alt_response(503, schema=HealthSchema, description="Some component is not healthy")
def healthz() -> Any:
    healthy, body = run_checks()
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
