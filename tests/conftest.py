"""Shared fixtures: a migrated store, message factories."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import os
import subprocess
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.helpers import keyring_isolation_problem, need  # noqa: E402

# Tests never touch the user's own keyring. Under packaging/with-keyring.sh the keyring is a
# throwaway one (checked in pytest_configure); otherwise every keyring call in this process
# and its subprocesses goes to keyring's "fail" backend, and keyring tests skip (fail in CI).
if not os.environ.get("CC_TEST_KEYRING_DIR"):
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from console.core.models import IncomingMessage, MessageKind, Platform  # noqa: E402
from console.core.store import Store  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
KIT = SHARED / "peers" / "bluesky"
CONTROL_URL = f"http://127.0.0.1:{os.environ.get('CONTROL_PORT', '2589')}"
T0 = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)

_counter = itertools.count(1)


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to run at all when with-keyring.sh's keyring is not a throwaway one."""
    if os.environ.get("CC_TEST_KEYRING_DIR"):
        problem = keyring_isolation_problem(os.environ)
        if problem:
            raise pytest.UsageError(f"refusing to run the tests against this keyring: {problem}")


def msg(author: str = "@ann@example.social", text: str = "My order is late",
        *, account: str = "@help@kettle.example", platform: Platform = Platform.MASTODON,
        at: dt.datetime | None = None, remote_id: str | None = None, name: str = "",
        kind: MessageKind = MessageKind.MENTION) -> IncomingMessage:
    n = next(_counter)
    return IncomingMessage(
        platform=platform, account_handle=account, remote_id=remote_id or f"r{n}",
        author_handle=author, author_name=name or author.strip("@").split("@")[0].title(),
        text=text, created_at=at or T0 + dt.timedelta(minutes=n), kind=kind)


# --- the two backends: a laptop file and a team server -------------------------------------

PG_TEMPLATE = "cc_migrated"


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Any]:
    """A throwaway PostgreSQL cluster for the whole run, with a migrated template database."""
    from tests.pgserver import INSTALL_HINT, PgServer, find_bin

    bin_dir = find_bin()
    need(bin_dir is not None, INSTALL_HINT)
    assert bin_dir is not None
    server = PgServer(bin_dir).start()
    try:
        server.admin(f"CREATE DATABASE {PG_TEMPLATE}")
        Store.connect(server.url(PG_TEMPLATE)).close()
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: Any) -> Iterator[str]:
    """A fresh migrated team-server database of this test's own."""
    url = pg_server.create_database(template=PG_TEMPLATE)
    yield url
    pg_server.admin(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Run the test on both backends (a store test is about the store, whichever it is)."""
    return str(request.param)


@pytest.fixture
def new_store(backend: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    """``new_store()`` opens an empty migrated store on the test's backend (closed after);
    each call is a workspace of its own (two people's, say)."""
    opened: list[Store] = []
    databases: list[str] = []

    def make() -> Store:
        if backend == "postgres":
            server = request.getfixturevalue("pg_server")
            url = server.create_database(template=PG_TEMPLATE)
            databases.append(url.rsplit("/", 1)[1])
            s = Store.connect(url)
        else:
            s = Store.memory()
        opened.append(s)
        return s

    yield make
    for s in opened:
        s.close()
    for name in databases:
        request.getfixturevalue("pg_server").admin(
            f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def store(new_store: Any) -> Store:
    s = new_store()
    s.set_setting("user.name", "Sam")
    # Owners come from the roster: the team every core test may hand a case to.
    s.set_setting("team.roster", [{"name": "Sam", "me": True}, {"name": "Priya"},
                                  {"name": "Tom"}, {"name": "Bea"}, {"name": "@owner"}])
    s.add_account(platform="mastodon", handle="@help@kettle.example", role="support")
    s.add_account(platform="mastodon", handle="@hello@kettle.example", role="marketing")
    s.add_account(platform="bluesky", handle="help.kettle.example", role="support")
    s.add_account(platform="bluesky", handle="kettle.example", role="marketing")
    return s


# --- the local Bluesky network ----------------------------------------------------------------


def _network_up() -> bool:
    try:
        with urllib.request.urlopen(f"{CONTROL_URL}/health", timeout=2) as response:
            return bool(json.loads(response.read()).get("ok"))
    except (OSError, ValueError):
        return False


def _sync(control_url: str) -> None:
    request = urllib.request.Request(f"{control_url}/sync", data=b"", method="POST")
    with urllib.request.urlopen(request, timeout=120) as response:
        response.read()


@pytest.fixture(scope="session")
def bsky_net() -> Iterator[dict[str, Any]]:
    """The local Bluesky network's connection.json, started once per test run.

    Reuses a network that is already up (control port ``/health`` answers) and then
    leaves it running. Otherwise runs ``../shared/peers/bluesky/start.sh`` (about 2
    minutes cold, seconds warm) and ``stop.sh`` at the end, unless ``BSKY_NET_KEEP=1``.
    """
    home = Path(os.environ.get("BSKY_NET_HOME", "/tmp/bsky-net"))
    started = False
    connection = home / "run" / "connection.json"
    if not (_network_up() and connection.exists()):
        start = KIT / "start.sh"
        need(start.exists(), f"the Bluesky kit at {KIT} (the ../shared folder beside this "
                             "checkout, with peers/bluesky)")
        result = subprocess.run(
            [str(start)], capture_output=True, text=True, timeout=1200, check=False
        )
        if result.returncode != 0:
            pytest.fail(f"start.sh failed (rc={result.returncode}):\n{result.stderr[-3000:]}")
        connection = Path(result.stdout.strip().splitlines()[-1])
        started = True
    conn: dict[str, Any] = json.loads(connection.read_text())
    conn["_started_here"] = started
    yield conn
    if started and os.environ.get("BSKY_NET_KEEP") != "1":
        subprocess.run([str(KIT / "stop.sh")], capture_output=True, timeout=120, check=False)


@pytest.fixture
def bsky_sync(bsky_net: dict[str, Any]) -> Callable[[], None]:
    """Call it to wait until the AppView has indexed every write (``POST /sync``)."""
    return lambda: _sync(bsky_net["control_url"])


# --- sign-in: a local OAuth server and the throwaway keyring -----------------------------------


@pytest.fixture
def oauth_server() -> Iterator[Any]:
    """A local server with Mastodon's and X's OAuth endpoints (tests/connectors/oauth_server.py)."""
    from tests.connectors.oauth_server import LocalOAuthServer

    server = LocalOAuthServer()
    yield server
    server.close()


@pytest.fixture
def keyring_store() -> Iterator[Any]:
    """with-keyring.sh's throwaway keyring; the entries sign-in tests make are removed after."""
    from console.connectors.registry import entry_keys
    from console.core.secrets import KeyringSecretStore
    from tests.helpers import require_test_keyring

    require_test_keyring()
    store = KeyringSecretStore()
    yield store
    for platform, handle in (("x", "TweepyDev"), ("x", "brandx"), ("bluesky", "brand.test")):
        for key in entry_keys(platform, handle):
            store.delete(key)
