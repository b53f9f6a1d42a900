"""Domain errors; `web/errors.py` maps each to HTTP in one place."""

from workflows.platform.field_messages import Message
from workflows.platform.i18n import N_


class DomainError(Exception):
    """Base class of errors a user can act on."""


class ValidationFailed(DomainError):
    """Input refused; `errors` maps each offending field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    def __str__(self) -> str:
        # Each message in the reader's words (a `Message` shows itself translated; a bare
        # `join` would take its English): what an error page or a flash shows.
        return "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in self.errors.items())

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls({name: [message]})


class StaleEdit(DomainError):
    """The record changed since the editor loaded it (optimistic locking)."""

    def __init__(self, expected_version: int, current_version: int) -> None:
        super().__init__(
            Message(
                N_(
                    "This record changed since you loaded it (your version %(yours)s, "
                    "current version %(current)s)."
                ),
                yours=expected_version,
                current=current_version,
            )
        )
        self.expected_version = expected_version
        self.current_version = current_version


class Conflict(DomainError):
    """The change clashes with the records' current state (HTTP 409)."""
