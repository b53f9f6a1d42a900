"""Irreversible actions ask first, with or without JavaScript: a POST without `confirmed=yes`
renders a page that names what will happen and posts the same fields again with it (the form's
`data-confirm` sentence makes web/static/rapport.js ask in a dialog instead, then post
`confirmed=yes` at once). No one-click irreversible action anywhere."""

from flask import render_template, request

CONFIRMED = "confirmed"


def is_confirmed() -> bool:
    return request.form.get(CONFIRMED) == "yes"


def ask_first(
    *,
    heading: str,
    what: list[str],
    confirm_label: str,
    back: str,
    fields: list[tuple[str, str]] | None = None,
    items: list[str] | None = None,
    action: str | None = None,
) -> str:
    """The confirmation page: `fields` (default: the posted form's) go again to `action`
    (default: the same URL) with `confirmed=yes`; `items` lists what it applies to."""
    if fields is None:
        fields = [
            (name, value)
            for name, values in request.form.lists()
            if name not in ("csrf_token", CONFIRMED)
            for value in values
        ]
    return render_template(
        "confirm.html",
        heading=heading,
        what=what,
        items=items or [],
        action=action or request.path,
        fields=[*fields, (CONFIRMED, "yes")],
        confirm_label=confirm_label,
        back=back,
    )
