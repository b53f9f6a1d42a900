"""Signed per-customer unsubscribe links (itsdangerous) and the RFC 8058 one-click headers."""

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "rapport.outreach.unsubscribe"


@dataclass(frozen=True)
class LinkSettings:
    secret_key: str
    base_url: str  # e.g. https://crm.example.com, no trailing slash needed


def token_for(settings: LinkSettings, customer_id: int) -> str:
    """The customer's signed token. Only the id, so that the List-Unsubscribe line stays short:
    a header word longer than a line is RFC 2047-encoded by Python's email package, and mail
    clients do not decode that header. No expiry: an old email's link must still work."""
    return URLSafeSerializer(settings.secret_key, salt=SALT).dumps(customer_id)


def read_token(settings: LinkSettings, token: str) -> int | None:
    """The customer id of a genuine token, else None."""
    try:
        customer_id = URLSafeSerializer(settings.secret_key, salt=SALT).loads(token)
    except (BadSignature, ValueError, TypeError):
        return None
    return customer_id if isinstance(customer_id, int) else None


def unsubscribe_url(settings: LinkSettings, customer_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/u/{token_for(settings, customer_id)}"


def unsubscribe_headers(url: str) -> dict[str, str]:
    """List-Unsubscribe with List-Unsubscribe-Post: mail clients POST `List-Unsubscribe=One-Click`
    to the URL (RFC 8058), so the endpoint must act on a POST without a session or CSRF token."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
