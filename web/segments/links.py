"""A segment's filter as the list page's query string, the inverse of
`web.customers.listing.filter_from_args` (dates in the viewer's zone)."""

from datetime import datetime, time, timedelta
from typing import Any

from web.templating import viewer_zone
from workflows.customers.queries import CustomerFilter

_PLAIN = {"q": "q", "owner_id": "owner", "tag": "tag", "stage": "stage"}
_PLAIN["organisation_id"] = "organisation"
_DAYS = {
    "created_from": ("created_from", False),
    "created_to": ("created_to", True),
    "last_contacted_from": ("contacted_from", False),
    "last_contacted_to": ("contacted_to", True),
}


def _day(moment: datetime, *, end: bool) -> str:
    local = moment.astimezone(viewer_zone())
    # The list's "until" date is inclusive: it saved the start of the next day.
    if end and local.time() == time():
        local -= timedelta(days=1)
    return local.date().isoformat()


def list_args(flt: CustomerFilter) -> dict[str, Any] | None:
    """Query arguments for /customers, or None when the filter uses what the list page cannot
    show (custom fields, the trash: segments made through the API)."""
    if flt.custom or flt.trash:
        return None
    args: dict[str, Any] = {}
    for name, arg in _PLAIN.items():
        if (value := getattr(flt, name)) is not None:
            args[arg] = value
    for name, (arg, end) in _DAYS.items():
        if (moment := getattr(flt, name)) is not None:
            args[arg] = _day(moment, end=end)
    return args
