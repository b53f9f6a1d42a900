"""One page's permission check across every role, shared by the record pages' tests."""

from collections.abc import Callable
from typing import Any

from flask import Flask

from models import Role
from tests.conftest import csrf_token
from web.extensions import db


def assert_each_role(
    app: Flask,
    make_user: Any,
    method: str,
    path_for: Callable[[], str],
    lowest: Role,
    *,
    signed_in: Callable[[Flask, Any], Any],
    text_of: Callable[[Any], str],
) -> None:
    """Anonymous is sent to sign in; a role below `lowest` gets 403; `lowest` and above reach
    the page (an empty form may be refused with 422, or be stale against the saved version)."""
    anonymous = app.test_client()
    response = anonymous.open(path_for(), method=method)
    assert response.status_code in (302, 400)  # sign-in first (a POST without a token: 400)

    for role in Role:
        path = path_for()  # fresh records: an allowed role may delete or purge them
        client = signed_in(app, make_user(role))
        data = {"csrf_token": csrf_token(client, "/account")} if method == "POST" else None
        response = client.open(path, method=method, data=data)
        if role.rank < lowest.rank:
            assert response.status_code == 403, (role, path)
            assert "Not allowed" in text_of(response)
        else:
            assert response.status_code in (200, 302, 409, 422), (role, path)


def record_path(
    app: Flask, template: str, make_row: Callable[..., int], trash: Callable[[int], None]
) -> str:
    """`template` with `{id}` a live record and `{trashed}` one in the trash, both new."""
    live = make_row(app, name="Live One")
    trashed = make_row(app, name="Trashed One")
    with app.app_context():
        trash(trashed)
        db.session.commit()
    return template.format(id=live, trashed=trashed)
