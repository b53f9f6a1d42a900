"""Security headers (Flask-Talisman), no-store caching for signed-in pages and the API, the
proxy setting, and templates free of inline script (which the CSP would block)."""

import re
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from models import Role
from tests.conftest import login

TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"


def _csp(response: Any) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in policy.split(";")) if part}


def test_pages_carry_a_strict_policy_and_the_other_headers(client: FlaskClient) -> None:
    response = client.get("/login")
    csp = _csp(response)
    assert "'unsafe-inline'" not in csp["script-src"] and "'unsafe-eval'" not in csp["script-src"]
    assert "'unsafe-inline'" not in csp["style-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert csp["object-src"] == "object-src 'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP by default
    assert "no-store" not in response.headers.get("Cache-Control", "")  # nobody signed in


def test_signed_in_pages_and_the_api_are_not_stored(
    app: Flask, client: FlaskClient, make_user: Any
) -> None:
    login(client, make_user(Role.AGENT).email)
    assert client.get("/customers").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/customers").headers["Cache-Control"] == "no-store"  # even a 401
    static = client.get("/static/rapport.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")
    static.close()


def test_hsts_and_secure_cookies_when_served_over_https(make_app: Any) -> None:
    app = make_app(SECURE_COOKIES=True)
    response = app.test_client().get("/login", base_url="https://rapport.example")
    assert "max-age=" in response.headers["Strict-Transport-Security"]
    assert "Secure" in response.headers["Set-Cookie"]


def test_templates_hold_no_inline_script_or_handlers() -> None:
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        # A JSON data block (type="application/json") is data the CSP never runs, not a script.
        if re.search(r"<script(?![^>]*\b(?:src=|type=\"application/json\"))[^>]*>", text):
            offenders.append(f"{path.name}: inline <script>")
        if re.search(r"\son[a-z]+\s*=", text):
            offenders.append(f"{path.name}: inline event handler")
        if re.search(r"<style|\sstyle\s*=", text):
            offenders.append(f"{path.name}: inline style")
    assert offenders == []


def _failures_until_429(app: Flask, forwarded_for: str) -> int:
    client = app.test_client()
    headers = {"X-Forwarded-For": forwarded_for}
    for n in range(1, 40):
        token_page = client.get("/login", headers=headers).get_data(as_text=True)
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', token_page)
        data = {"email": f"x{n}@example.com", "password": "no", "csrf_token": token.group(1)}
        if client.post("/login", data=data, headers=headers).status_code == 429:
            return n
    return 0


def test_per_ip_limits_see_the_client_behind_a_trusted_proxy(make_app: Any) -> None:
    behind = make_app(TRUSTED_PROXIES=1, LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    assert _failures_until_429(behind, "203.0.113.7") == 4
    assert _failures_until_429(behind, "203.0.113.8") == 4  # another client is not blocked
    direct = make_app(TRUSTED_PROXIES=0, LOGIN_LIMIT_PER_IP="3 per 15 minutes")
    assert _failures_until_429(direct, "198.51.100.1") == 4
    assert _failures_until_429(direct, "198.51.100.2") == 1  # a forged header changes nothing
