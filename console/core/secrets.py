"""Account credentials in the operating system's keyring, never in the database or logs.

Connectors ask a :class:`SecretStore` for an account's token or app password by an
account key (the caller decides the key; the account id is a good one). The real
store is :class:`KeyringSecretStore`; tests use :class:`MemorySecretStore`.

Keyring calls can block on an unlock prompt (GNOME Keyring, KWallet), so make them
on a worker thread or at start-up, never inside a paint or an item-model call.
"""

from __future__ import annotations

import hmac
import logging
import threading
from typing import NoReturn, Protocol, runtime_checkable

import keyring
import keyring.errors

from console.core.errors import SecretStoreError

log = logging.getLogger(__name__)

SERVICE = "community-console"

NO_BACKEND_HELP = (
    "No keyring backend is available, so Community Console cannot store account "
    "credentials safely (it never writes them to the workspace database). "
    "On Linux, install and unlock a Secret Service provider: GNOME Keyring "
    "(`sudo apt install gnome-keyring`, then log out and in again) or KDE's KWallet; "
    "on a headless machine start `gnome-keyring-daemon --unlock` in a D-Bus session. "
    "macOS uses the Keychain and Windows the Credential Manager without any setup."
)

LOCKED_HELP = "The keyring is locked. Unlock it (your login keyring, or KWallet) and try again."


class Secret:
    """A credential that never shows its value in ``repr``, ``str``, f-strings or pickles.

    Call :meth:`reveal` at the one place that needs the value (building an
    ``Authorization`` header, say) and nowhere else.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("a Secret wraps a str")
        self._value = value

    def reveal(self) -> str:
        """Return the secret value itself."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, format_spec: str) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self._value.encode(), other._value.encode())

    def __hash__(self) -> int:
        return hash((Secret, self._value))

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled or copied into storage")


@runtime_checkable
class SecretStore(Protocol):
    """Where connectors read and write credentials, by account key."""

    def get(self, account_key: str) -> str | None:
        """Return the stored secret for ``account_key``, or ``None`` if there is none.

        Raises:
            SecretStoreError: no usable keyring, or the keyring refused.
        """
        ...

    def set(self, account_key: str, value: str) -> None:
        """Store (or replace) the secret for ``account_key``.

        Raises:
            SecretStoreError: no usable keyring, or the keyring refused.
        """
        ...

    def delete(self, account_key: str) -> None:
        """Forget the secret for ``account_key``; a missing secret is not an error.

        Raises:
            SecretStoreError: no usable keyring, or the keyring refused.
        """
        ...


def _username(account_key: str) -> str:
    return f"account:{account_key}"


# What keyring backends raise when they cannot do their job (D-Bus errors arrive
# wrapped as KeyringError or as OSError/RuntimeError from the platform layer).
_KEYRING_FAILURES = (keyring.errors.KeyringError, OSError, RuntimeError)


class KeyringSecretStore:
    """A :class:`SecretStore` backed by the ``keyring`` package (the OS keyring).

    Entries are stored as service ``service``, username ``account:<account_key>``.
    """

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service

    def __repr__(self) -> str:
        return f"KeyringSecretStore(service={self.service!r})"

    def check(self) -> None:
        """Fail early, with the help text, when no usable keyring backend exists.

        Raises:
            SecretStoreError: the active backend is keyring's "fail" or "null"
                backend (nothing usable is installed).
        """
        if _is_unusable(keyring.get_keyring()):
            raise SecretStoreError(NO_BACKEND_HELP)

    def get(self, account_key: str) -> str | None:
        """Return the secret for ``account_key`` or ``None``; see :class:`SecretStore`."""
        try:
            return keyring.get_password(self.service, _username(account_key))
        except _KEYRING_FAILURES as exc:
            _map(exc, "read")

    def set(self, account_key: str, value: str) -> None:
        """Store the secret for ``account_key``; see :class:`SecretStore`."""
        self.check()
        try:
            keyring.set_password(self.service, _username(account_key), value)
        except _KEYRING_FAILURES as exc:
            _map(exc, "store", value)

    def delete(self, account_key: str) -> None:
        """Forget the secret for ``account_key``; see :class:`SecretStore`."""
        try:
            keyring.delete_password(self.service, _username(account_key))
        except keyring.errors.PasswordDeleteError:
            # Nothing stored under that name: deleting is idempotent.
            log.debug("no keyring entry to delete for %s", _username(account_key))
        except _KEYRING_FAILURES as exc:
            _map(exc, "delete")


def _is_unusable(backend: object) -> bool:
    # "fail" raises on every call; "null" silently stores nothing, which would lose
    # credentials without a word. Both mean: nothing usable is installed.
    from keyring.backends import fail, null

    return isinstance(backend, (fail.Keyring, null.Keyring))


def _map(exc: BaseException, action: str, value: str | None = None) -> NoReturn:
    """Turn a keyring failure into a SecretStoreError whose text helps the user.

    The original message is kept only when it cannot contain the secret value.
    """
    if isinstance(exc, keyring.errors.NoKeyringError):
        raise SecretStoreError(NO_BACKEND_HELP) from None
    if isinstance(exc, keyring.errors.KeyringLocked):
        raise SecretStoreError(LOCKED_HELP) from None
    detail = str(exc)
    if value and value in detail:
        detail = detail.replace(value, "***")
    log.warning("keyring could not %s a credential: %s", action, type(exc).__name__)
    raise SecretStoreError(
        f"The keyring could not {action} the credential ({type(exc).__name__}: {detail}). "
        "Check that your keyring is unlocked and working."
    ) from None


class MemorySecretStore:
    """A :class:`SecretStore` in a dict, for tests and the demo workspace."""

    def __init__(self, initial: dict[str, str] | None = None) -> None:
        self._values: dict[str, str] = dict(initial or {})
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        with self._lock:
            keys = sorted(self._values)
        return f"MemorySecretStore(keys={keys!r})"

    def get(self, account_key: str) -> str | None:
        """Return the secret for ``account_key`` or ``None``."""
        with self._lock:
            return self._values.get(account_key)

    def set(self, account_key: str, value: str) -> None:
        """Store the secret for ``account_key``."""
        with self._lock:
            self._values[account_key] = value

    def delete(self, account_key: str) -> None:
        """Forget the secret for ``account_key`` (no error if missing)."""
        with self._lock:
            self._values.pop(account_key, None)
