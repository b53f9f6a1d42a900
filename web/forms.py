"""Helpers shared by the HTML forms."""

from typing import Any

from flask import flash

from workflows.errors import ValidationFailed


def attach_errors(form: Any, exc: ValidationFailed) -> None:
    """Show each domain validation message at its form field (or as a flash if no such field)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name.replace(".", "_"), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            flash(f"{name}: {' '.join(messages)}", "error")
