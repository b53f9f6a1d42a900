"""Masked contact points: users whose role is in `MASKED_ROLES` see a***@example.com and
+86 138****8000 on pages and in the API, until they reveal one customer's (logged, and good
for `REVEAL_SECONDS` in their session)."""

import time
from typing import Any

from flask import Flask, current_app, session

from web.access import acting_user
from web.phones import display_phone
from workflows.privacy.masking import mask_email, mask_phone

REVEAL_SECONDS = 300
SESSION_KEY = "revealed_customers"


def masked_for_user() -> bool:
    user = acting_user()
    if user is None:
        return False
    return user.role.value in (current_app.config.get("MASKED_ROLES") or [])


def is_revealed(customer_id: int) -> bool:
    revealed = session.get(SESSION_KEY) or {}
    return float(revealed.get(str(customer_id), 0)) > time.time()


def remember_reveal(customer_id: int) -> None:
    now = time.time()
    revealed = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if float(v) > now}
    revealed[str(customer_id)] = now + REVEAL_SECONDS
    session[SESSION_KEY] = revealed


def is_masked(customer_id: int | None) -> bool:
    """Whether the caller sees this customer's contact points masked (API tokens never hold a
    reveal: the API's reveal endpoint returns the values instead)."""
    if not masked_for_user():
        return False
    return customer_id is None or not is_revealed(customer_id)


def shown_email(customer_id: int | None, email: str | None) -> str | None:
    return mask_email(email) if is_masked(customer_id) else email


def shown_phone(customer_id: int | None, e164: str | None) -> str | None:
    return mask_phone(e164) if is_masked(customer_id) else e164


def shown_phone_on_page(customer_id: int | None, e164: str | None) -> str | None:
    """What a page shows: masked, or in the viewer's format (web/phones.py); the API keeps
    E.164."""
    return mask_phone(e164) if is_masked(customer_id) else display_phone(e164)


def install(app: Flask) -> None:
    @app.context_processor
    def _masks() -> dict[str, Any]:
        return {
            "shown_email": shown_email,
            "shown_phone": shown_phone_on_page,
            "contact_masked": is_masked,
        }
