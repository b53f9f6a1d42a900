"""Access checks that every page and API endpoint uses (STYLE.md §7)."""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Role, User
from web.i18n import ROLE_LABELS

F = TypeVar("F", bound=Callable[..., Any])


def acting_user() -> User | None:
    """The API token's user on `/api/`, else the signed-in user, else None."""
    user = g.get("api_user")
    if user is not None:
        return user
    return current_user if current_user.is_authenticated else None


def can(user: User | None, role: Role) -> bool:
    return user is not None and user.is_active and user.has_role(role)


def role_required(role: Role) -> Callable[[F], F]:
    """Page decorator: sign-in required (redirect), then 403 below `role`."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not can(acting_user(), role):
                role_name = ROLE_LABELS.get(role, role.value)
                abort(403, _("This page needs the %(role)s role.", role=role_name))
            return view(*args, **kwargs)

        return login_required(wrapped)  # type: ignore[return-value]

    return decorator
