"""Helpers shared by the HTML forms."""

from typing import Any

from flask import flash

from workflows.platform.errors import ValidationFailed


def attach_errors(form: Any, exc: ValidationFailed) -> None:
    """Show each domain validation message at its form field (or as a flash if no such field)."""
    for name, messages in exc.errors.items():
        field = getattr(form, name.replace(".", "_"), None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + messages
        else:
            flash(f"{name}: {' '.join(messages)}", "error")


def shown_value(field: Any) -> str:
    """A field's value as the stale-edit comparison shows it (choice labels, one line)."""
    data = field.data
    if isinstance(data, list):
        return ", ".join(str(d) for d in data)
    text = "" if data is None else str(data).replace("\r\n", "\n").strip()
    choices = getattr(field, "choices", None)
    if choices and text:
        labels = {c.value: c.label for c in choices}
        return labels.get(text, text)
    if field.name in ("emails", "phones"):
        return ", ".join(line.strip() for line in text.splitlines() if line.strip())
    return text


def int_or_zero(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0
