"""Domain errors; `web/errors.py` maps each to HTTP in one place."""


class DomainError(Exception):
    """Base class of errors a user can act on."""


class ValidationFailed(DomainError):
    """Input refused; `errors` maps each offending field to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors

    @classmethod
    def field(cls, name: str, message: str) -> "ValidationFailed":
        return cls({name: [message]})


class StaleEdit(DomainError):
    """The record changed since the editor loaded it (optimistic locking)."""

    def __init__(self, expected_version: int, current_version: int) -> None:
        super().__init__(
            f"This record changed since you loaded it (your version {expected_version}, "
            f"current version {current_version})."
        )
        self.expected_version = expected_version
        self.current_version = current_version


class Conflict(DomainError):
    """The change clashes with the records' current state (HTTP 409)."""
