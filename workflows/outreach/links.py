"""Signed per-customer unsubscribe links (itsdangerous) and the RFC 8058 one-click headers."""

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "rapport.outreach.unsubscribe"


@dataclass(frozen=True)
class LinkSettings:
    secret_key: str
    base_url: str  # e.g. https://crm.example.com, no trailing slash needed


def token_for(settings: LinkSettings, customer_id: int, email: str) -> str:
    # No expiry: an unsubscribe link in an old email must still work (CAN-SPAM asks 30 days).
    return URLSafeSerializer(settings.secret_key, salt=SALT).dumps([customer_id, email.lower()])


def read_token(settings: LinkSettings, token: str) -> tuple[int, str] | None:
    """(customer id, email) of a genuine token, else None."""
    try:
        customer_id, email = URLSafeSerializer(settings.secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    if not isinstance(customer_id, int) or not isinstance(email, str):
        return None
    return customer_id, email


def unsubscribe_url(settings: LinkSettings, customer_id: int, email: str) -> str:
    return f"{settings.base_url.rstrip('/')}/unsubscribe/{token_for(settings, customer_id, email)}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """List-Unsubscribe with List-Unsubscribe-Post: mail clients POST `List-Unsubscribe=One-Click`
    to the URL (RFC 8058), so the endpoint must act on a POST without a session or CSRF token."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
