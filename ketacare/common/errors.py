from __future__ import annotations


class ValidationFailed(ValueError):
    """Input broke a rule. Carries messages per field so callers can name the field."""

    def __init__(self, errors: dict[str, list[str]], *, location: str = "body") -> None:
        self.errors = errors
        self.location = location  # where the API caller sent the field: body or query
        super().__init__("; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in errors.items()))

    @classmethod
    def single(cls, field: str, message: str, *, location: str = "body") -> ValidationFailed:
        return cls({field: [message]}, location=location)


class NotFound(LookupError):
    """The record does not exist for this user (or is in another clinic: same answer)."""


class PermissionDenied(PermissionError):
    """The user's role in this clinic does not allow the action."""
