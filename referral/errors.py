"""Domain errors raised by services; views turn them into messages or 404s."""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action. ``message`` is already translated for the user."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotVisible(Exception):
    """The record does not exist or the actor may not see it: both answer 404, and are audited."""

    def __init__(self, object_type: str, object_id: object) -> None:
        super().__init__(f"{object_type} {object_id} not visible")
        self.object_type = object_type
        self.object_id = object_id


class StaleEdit(DomainError):
    """Someone else saved the record first; the user's version is kept on screen."""


class ReadOnlyAccess(DomainError):
    """The actor reads the case through emergency access, which never allows a change."""

    def __init__(self, message: str, *, case_id: int | None = None) -> None:
        super().__init__(message)
        self.case_id = case_id


class IllegalTransition(DomainError):
    """A state change that the lifecycle does not allow from the current state."""


class ConfigurationError(RuntimeError):
    """The app must not start with this configuration."""
