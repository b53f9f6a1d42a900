"""Values computed once per request (the acting user's team memberships, a list page's SLA
clocks) and read by per-row code such as marshmallow methods.

They live in the request's WSGI environ, not in `g`: a test that keeps one app context open
across several requests shares `g` between them, and a cached value from an earlier request
would then be stale."""

from collections.abc import Callable
from typing import Any, TypeVar

from flask import has_request_context, request

T = TypeVar("T")
_KEY = "rapport.request_cache"


def once_per_request(key: str, factory: Callable[[], T]) -> T:
    """`factory()` the first time in this request, the same value afterwards; outside a request
    (a CLI command, a task) it simply calls `factory`."""
    if not has_request_context():
        return factory()
    cache: dict[str, Any] = request.environ.setdefault(_KEY, {})
    if key not in cache:
        cache[key] = factory()
    return cache[key]


def remember(key: str, value: Any) -> None:
    """Store `value` for later readers in this request (e.g. a list view's preloaded rows)."""
    if has_request_context():
        request.environ.setdefault(_KEY, {})[key] = value


def recall(key: str) -> Any:
    """What `remember` stored in this request, or None."""
    if not has_request_context():
        return None
    return request.environ.get(_KEY, {}).get(key)
