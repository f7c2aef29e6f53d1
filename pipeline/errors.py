"""Errors raised by bisum.

Every error the command line reports is a ``BisumError``; anything else is a bug.
Third-party exceptions (openai, sqlite3, OSError, pydantic) are translated where
they are caught, with ``raise ... from exc``.

    BisumError
    ├── ConfigError          bad flag, setting or environment value       (exit 2)
    ├── PromptError          a prompt file is missing, invalid or changed  (exit 2)
    ├── LockHeld             another run holds the lock                    (exit 75)
    ├── BudgetExceeded       the planned cost is above --max-cost          (exit 2)
    ├── DocumentError        one document cannot be processed; the batch goes on
    │   ├── LoadError        empty, binary or undecodable input
    │   ├── LLMError         the model could not be reached or kept failing
    │   │   ├── OfflineMiss  --offline and the response is not cached
    │   │   └── ModeRejected the server refused a structured-output mode
    │   └── InvalidOutput    the model's answer failed validation after a re-ask
    └── ReplayError          --replay cassette is missing or lacks a request
"""

from __future__ import annotations


class BisumError(Exception):
    """Base of every error bisum reports to a user."""

    exit_code = 1


class ConfigError(BisumError):
    exit_code = 2


class PromptError(BisumError):
    exit_code = 2


class LockHeld(BisumError):
    exit_code = 75


class BudgetExceeded(BisumError):
    exit_code = 2


class ReplayError(BisumError):
    exit_code = 2


class DocumentError(BisumError):
    """A failure confined to one document: reported, and the batch goes on."""


class LoadError(DocumentError):
    pass


class LLMError(DocumentError):
    pass


class OfflineMiss(LLMError):
    pass


class ModeRejected(LLMError):
    pass


class InvalidOutput(DocumentError):
    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []
