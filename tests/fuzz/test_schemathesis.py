"""A bounded schemathesis run over every API operation, as an admin and as an agent, with all
of schemathesis' checks: the bar is no server error and responses that match the OpenAPI
document (problem+json errors included). Bounded by `RAPPORT_FUZZ_EXAMPLES` examples per
operation (default 12) so CI stays within a few minutes; raise it to hunt locally.

Every check runs but one: "schema-valid data is accepted" (positive_data_acceptance) assumes the
document states every rule, and business rules (a known stage, a deliverable email, no control
characters in text, a date a calendar holds) live in the workflows, which answer 422 naming
the field — the response schema check still holds those 422s to the problem+json shape."""

import os
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import positive_data_acceptance

from models import Role, User
from web.clocks import current_clock
from web.extensions import db
from workflows.customers import profiles
from workflows.platform import accounts

EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "12"))


@schemathesis.serializer("message/rfc822")
def _raw_email(ctx: Any, value: Any) -> bytes:
    """`POST /inbound/email` takes a raw message: whatever was generated, as bytes."""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8", "surrogatepass")


def _token(app: Flask, user_id: int) -> str:
    """A fresh token per case: an operation may revoke the one the previous case used."""
    with app.app_context():
        user = db.session.get(User, user_id)
        secret = accounts.issue_token(db.session, user, "fuzz", clock=current_clock()).secret
        db.session.commit()
        return secret


def _checker(app: Flask, user_id: int, label: str, excluded: list[Any], failures: list[str]) -> Any:
    def check_one(case: Any) -> None:
        headers = {"Authorization": f"Bearer {_token(app, user_id)}"}
        response = case.call(headers=headers)
        try:
            case.validate_response(response, headers=headers, excluded_checks=excluded)
        except (FailureGroup, Failure) as exc:  # collected, reported together at the end
            failures.append(f"{label} {response.status_code}: {exc}"[:2000])

    return check_one


def _fuzz(operation: Any, check_one: Any) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        check_one(case)

    check()


@pytest.mark.parametrize("role", [Role.ADMIN, Role.AGENT])
def test_every_operation_answers_without_server_errors(
    app: Flask, make_user: Any, role: Role
) -> None:
    user = make_user(role)
    with app.app_context():  # something for ids to find
        profiles.create_customer(
            db.session, {"name": "Ana Lima"}, actor_id=None, clock=current_clock()
        )
        db.session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 50  # every operation, not a subset

    for operation in operations:
        excluded = [positive_data_acceptance]
        if operation.path == "/healthz":  # 503, as documented, with no worker or clock running
            excluded.append(not_a_server_error)
        _fuzz(operation, _checker(app, user.id, operation.label, excluded, failures))
    assert not failures, "\n\n".join(failures[:20]) + f"\n\n({len(failures)} failures)"
