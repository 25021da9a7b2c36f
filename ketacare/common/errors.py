from __future__ import annotations


class ValidationFailed(ValueError):
    """Input broke a rule. Carries messages per field so callers can name the field."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))

    @classmethod
    def single(cls, field: str, message: str) -> ValidationFailed:
        return cls({field: [message]})


class NotFound(LookupError):
    """The record does not exist for this user (or is in another clinic: same answer)."""


class PermissionDenied(PermissionError):
    """The user's role in this clinic does not allow the action."""
