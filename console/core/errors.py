"""Error classes: the environment's fault (KnownError) versus ours (BugError)."""

from __future__ import annotations


class KnownError(Exception):
    """A problem the user can understand and act on; shown as a friendly message."""


class StoreError(KnownError):
    """The workspace database cannot be opened or used."""


class SchemaTooNewError(StoreError):
    """The database was written by a newer version of the app."""


class CorruptDatabaseError(StoreError):
    """The file is not a SQLite database, or it is damaged."""


class StorageError(StoreError):
    """The workspace file cannot be used right now: disk full, busy, read-only or I/O error.

    ``reason`` is one of ``"disk_full"``, ``"busy"``, ``"read_only"``, ``"io"``; the
    change that hit it was not saved, and nothing saved before was lost.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class InvalidTransitionError(KnownError):
    """A case status change that the case model does not allow."""


class NotFoundError(KnownError):
    """A case, message or other record that does not exist."""


class SearchError(KnownError):
    """A search query that cannot be run."""


class NetworkError(KnownError):
    """The network is unreachable or the server did not answer."""


class AuthError(KnownError):
    """Credentials were refused (wrong, expired or revoked)."""


class RateLimitedError(KnownError):
    """The platform asked us to slow down."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TransientError(KnownError):
    """A server error that may go away on retry (5xx, malformed body)."""


class SecretStoreError(KnownError):
    """No usable keyring backend, or the keyring refused."""


class BugError(Exception):
    """Our fault: logged and shown in a crash dialog."""


class RejectedError(KnownError):
    """The platform refused this exact request (validation failed, duplicate, too long).

    Sending the same request again will fail the same way, so an outbox must not
    retry it automatically: the user has to change the reply or the account.
    """


class TemplateError(KnownError):
    """A reply template that cannot be used: bad syntax, or something unsafe."""


class ReconnectNeeded(KnownError):
    """The platform refused to renew the sign-in: the user has to sign in again.

    Deliberately not an ``AuthError``: the sync engine fails a reply for good on an
    ``AuthError`` but keeps it queued on other known errors, and a reply must survive
    until the account is reconnected.
    """
