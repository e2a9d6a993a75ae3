"""Secret storage: the keyring store, the memory store, and the Secret wrapper."""

from __future__ import annotations

import copy
import pickle
import uuid
from collections.abc import Iterator

import keyring
import pytest
from keyring.backends import fail, null

from console.core.errors import SecretStoreError
from console.core.secrets import (
    NO_BACKEND_HELP,
    KeyringSecretStore,
    MemorySecretStore,
    Secret,
    SecretStore,
)
from tests.helpers import require_test_keyring

TOKEN = "s3cr3t-token-value-1234"


@pytest.fixture
def restore_keyring() -> Iterator[None]:
    """Put back whatever keyring backend was active before the test."""
    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


def test_memory_store_round_trip() -> None:
    store = MemorySecretStore()
    assert isinstance(store, SecretStore)
    assert store.get("acct-1") is None
    store.set("acct-1", TOKEN)
    assert store.get("acct-1") == TOKEN
    store.delete("acct-1")
    store.delete("acct-1")  # deleting twice is fine
    assert store.get("acct-1") is None


def test_memory_store_repr_shows_keys_not_values() -> None:
    store = MemorySecretStore({"acct-1": TOKEN})
    assert "acct-1" in repr(store)
    assert TOKEN not in repr(store)


def test_secret_never_shows_its_value() -> None:
    secret = Secret(TOKEN)
    shown = [
        repr(secret),
        str(secret),
        f"{secret}",
        f"{secret!r}",
        "%s" % secret,  # noqa: UP031 - the old formatting must not leak either
        format(secret, ">30"),
    ]
    shown.append(repr({"token": secret}))
    for text in shown:
        assert TOKEN not in text
    assert secret.reveal() == TOKEN
    assert secret == Secret(TOKEN)
    assert secret != Secret("other")


def test_secret_cannot_be_pickled_or_copied_into_storage() -> None:
    with pytest.raises(TypeError):
        pickle.dumps(Secret(TOKEN))
    with pytest.raises(TypeError):
        copy.deepcopy(Secret(TOKEN))


def test_no_keyring_backend_says_how_to_fix_it(restore_keyring: None) -> None:
    keyring.set_keyring(fail.Keyring())
    store = KeyringSecretStore()
    for action in (
        lambda: store.get("acct-1"),
        lambda: store.set("acct-1", TOKEN),
        lambda: store.delete("acct-1"),
        store.check,
    ):
        with pytest.raises(SecretStoreError) as info:
            action()
        message = str(info.value)
        assert message == NO_BACKEND_HELP
        assert "gnome-keyring" in message and "KWallet" in message
        assert TOKEN not in message


def test_null_backend_is_refused_instead_of_losing_credentials(restore_keyring: None) -> None:
    keyring.set_keyring(null.Keyring())
    with pytest.raises(SecretStoreError, match="No keyring backend"):
        KeyringSecretStore().set("acct-1", TOKEN)


def test_keyring_round_trip_with_the_available_backend() -> None:
    require_test_keyring()  # with-keyring.sh's throwaway gnome-keyring, never the user's
    store = KeyringSecretStore(service="community-console-tests")
    key = f"test-{uuid.uuid4()}"
    try:
        store.set(key, TOKEN)
        assert store.get(key) == TOKEN
        assert keyring.get_password("community-console-tests", f"account:{key}") == TOKEN
    finally:
        store.delete(key)
    assert store.get(key) is None
