"""The install's phone region (`RAPPORT_PHONE_REGION`) for the web layer: numbers typed without
"+" are read in it (unless the customer has a country), and pages show numbers of that region
in its national format (`138 0013 8000` on a Chinese install), others internationally. The
API keeps E.164 both ways: it is for programs."""

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, current_app

from workflows.customers import phone_numbers


def phone_region() -> str | None:
    return current_app.config.get("PHONE_REGION") or None


F = TypeVar("F", bound=Callable[..., Any])


def with_phone_region(write: F) -> F:
    """`write` (a workflows create/update taking `default_region`) with the install's region."""

    @functools.wraps(write)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        return write(*args, default_region=phone_region(), **kwargs)

    return wrapped  # type: ignore[return-value]


def display_phone(e164: str | None) -> str | None:
    """`e164` as a page shows it to the viewer (see the module docstring)."""
    return phone_numbers.display(e164, phone_region()) if e164 else e164


def register(app: Flask) -> None:
    """The `phone` template filter; refuses to start with a region phonenumbers does not know
    (every number typed without "+" would then be refused, with a message blaming the number)."""
    region = app.config.get("PHONE_REGION")
    if region and not phone_numbers.is_region(region):
        raise ValueError(f"RAPPORT_PHONE_REGION={region!r} is not a region code (e.g. CN, DE, US).")
    app.jinja_env.filters["phone"] = display_phone
