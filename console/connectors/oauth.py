"""OAuth 2.0 sign-in shared by Mastodon and X: PKCE, the loopback redirect, token calls, refresh.

No Qt here: the loopback listener is a plain stdlib ``http.server`` on 127.0.0.1 (RFC 8252
section 7.3), so the command line and the window use the same code. A sign-in is:

1. ``Pkce.new()`` and a random ``state``; the platform module builds the authorization URL.
2. The user approves in a browser. The browser comes back to :class:`LoopbackReceiver`
   (``wait()``), or, when the browser runs elsewhere, the user pastes the code or the
   address the browser ended on (:func:`parse_pasted`).
3. :func:`token_request` exchanges the code (with ``code_verifier``) for tokens.

:class:`RefreshingToken` keeps an access token with its refresh token in ONE keyring entry
(a JSON bundle), so a rotated refresh token and its access token are saved together or not
at all; it refreshes before expiry and once after a 401.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import logging
import secrets as _random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, Final
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

from console.connectors.http import DEFAULT_TIMEOUT, HttpClient, Timeout, scrub
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    ReconnectNeeded,
    RejectedError,
    TransientError,
)
from console.core.secrets import Secret, SecretStore

log = logging.getLogger(__name__)

OOB_REDIRECT: Final = "urn:ietf:wg:oauth:2.0:oob"  # Mastodon shows the code to copy
CALLBACK_PATH: Final = "/callback"
REFRESH_MARGIN: Final = 120.0  # seconds before expiry at which a token is renewed
BUNDLE_VERSION: Final = 1


class SignInCancelled(KnownError):
    """The user cancelled a sign-in before the browser came back."""



class GrantRefused(AuthError):
    """The token endpoint refused the grant (``invalid_grant`` and friends)."""

    def __init__(self, message: str, code: str | None) -> None:
        super().__init__(message)
        self.code = code


# --- PKCE and state --------------------------------------------------------------------


@dataclass(frozen=True)
class Pkce:
    """A PKCE pair (RFC 7636, method S256). The verifier never goes to the browser."""

    verifier: str = field(repr=False)
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        """A fresh pair: 64 URL-safe characters of verifier, its SHA-256 as the challenge."""
        verifier = _random.token_urlsafe(48)  # 64 characters, inside RFC 7636's 43..128
        return cls(verifier=verifier, challenge=challenge_for(verifier))


def challenge_for(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def new_state() -> str:
    """An unguessable ``state`` that ties the redirect to this sign-in (CSRF protection)."""
    return _random.token_urlsafe(24)


@dataclass(frozen=True)
class Authorization:
    """What came back from the browser: the code (and the state it carried)."""

    code: str = field(repr=False)
    state: str | None


def authorize_url(base: str, *, client_id: str, redirect_uri: str, scopes: str, state: str,
                  pkce: Pkce) -> str:
    """The authorization-code page with PKCE (S256), as Mastodon and X both take it."""
    return f"{base}?" + urlencode({
        "response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri,
        "scope": scopes, "state": state, "code_challenge": pkce.challenge,
        "code_challenge_method": "S256"})


def check_state(auth: Authorization, expected: str) -> None:
    """Refuse an answer that carries another sign-in's ``state``.

    Raises:
        AuthError: the answer belongs to another sign-in.
    """
    if auth.state is not None and auth.state != expected:
        raise AuthError("That answer belongs to another sign-in; start again.")


def parse_pasted(text: str) -> Authorization:
    """Read what the user pasted: the code itself, or the address the browser ended on.

    When the browser runs on another machine its redirect to 127.0.0.1 fails, but its
    address bar still holds ``...?code=...&state=...``: pasting that works too.

    Raises:
        AuthError: the address says the sign-in was denied, or there is no code in it.
    """
    text = text.strip()
    if "?" in text or text.startswith(("http://", "https://")):
        query = parse_qs(urlsplit(text).query)
        if "error" in query:
            raise AuthError(_denied(query))
        code = (query.get("code") or [""])[0]
        if not code:
            raise AuthError("That address has no authorization code in it.")
        states = query.get("state")
        return Authorization(code=code, state=states[0] if states else None)
    if not text:
        raise AuthError("No authorization code given.")
    return Authorization(code=text, state=None)


def _denied(query: Mapping[str, list[str]]) -> str:
    error = query.get("error", ["access_denied"])[0]
    detail = query.get("error_description", [""])[0]
    if error == "access_denied":
        return "The sign-in was not approved in the browser."
    return f"The sign-in failed ({error}{': ' + detail if detail else ''})."


# --- the loopback redirect -------------------------------------------------------------

_DONE_PAGE = (
    "<!doctype html><meta charset=utf-8><title>Community Console</title>"
    "<p style='font:16px sans-serif;margin:3em'>{}</p>"
)


class LoopbackReceiver:
    """Waits on 127.0.0.1 for the one browser redirect that carries the authorization code.

    Args:
        port: the port to listen on; 0 picks a free one (Mastodon, which registers the
            exact redirect each time). X needs the port registered with the app.
        path: the redirect's path.

    Raises:
        NetworkError: the port is taken.
    """

    def __init__(self, *, port: int = 0, path: str = CALLBACK_PATH) -> None:
        self.path = path
        self._expected_state: str | None = None
        self._result: Authorization | None = None
        self._error: str | None = None
        self._cancelled = threading.Event()
        self._arrived = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            # A browser may open a connection ahead and send nothing on it: give up on
            # such a socket quickly, or the one-at-a-time loop would stall behind it.
            timeout = 2

            def do_GET(self) -> None:  # noqa: N802 (http.server's name)
                receiver._handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                # The request line holds the code: never into the log.
                return

        try:
            self._server = HTTPServer(("127.0.0.1", port), Handler)
        except OSError as exc:
            raise NetworkError(
                f"Cannot listen on 127.0.0.1:{port} for the browser's answer "
                f"({exc.strerror or exc}). Close the program using that port, or paste the code."
            ) from None
        self._server.timeout = 0.2
        self.port = int(self._server.server_address[1])

    @property
    def redirect_uri(self) -> str:
        """The address to register and send as ``redirect_uri``."""
        return f"http://127.0.0.1:{self.port}{self.path}"

    def _handle(self, request: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(request.path)
        if parts.path != self.path:
            request.send_error(404)
            return
        query = parse_qs(parts.query)
        states = query.get("state")
        state = states[0] if states else None
        if self._expected_state is not None and state != self._expected_state:
            # Not our sign-in (a stale tab, or a forged request): ignore it, keep waiting.
            log.warning("ignored a sign-in redirect with the wrong state")
            self._reply(request, 400, "This sign-in link is not the one Community Console "
                                      "is waiting for. Start the sign-in again.")
            return
        if "error" in query:
            self._error = _denied(query)
            self._reply(request, 200, self._error + " You can close this tab.")
        elif query.get("code"):
            self._result = Authorization(code=query["code"][0], state=state)
            self._reply(request, 200, "Signed in. You can close this tab and go back to "
                                      "Community Console.")
        else:
            self._reply(request, 400, "The answer had no authorization code.")
            return
        self._arrived.set()

    @staticmethod
    def _reply(request: BaseHTTPRequestHandler, status: int, text: str) -> None:
        body = _DONE_PAGE.format(html.escape(text)).encode("utf-8")
        request.send_response(status)
        request.send_header("Content-Type", "text/html; charset=utf-8")
        request.send_header("Content-Length", str(len(body)))
        request.send_header("Cache-Control", "no-store")
        request.end_headers()
        request.wfile.write(body)

    def wait(self, *, state: str | None, timeout: float = 600.0) -> Authorization:
        """Serve until the redirect arrives, :meth:`cancel` is called or ``timeout`` passes.

        Runs on a worker thread (it blocks). The listener is closed when it returns.

        Raises:
            SignInCancelled: cancelled, or nothing came within ``timeout``.
            AuthError: the user denied access in the browser.
        """
        self._expected_state = state
        deadline = time.monotonic() + timeout
        try:
            while not self._arrived.is_set():
                if self._cancelled.is_set():
                    raise SignInCancelled("Sign-in cancelled.")
                if time.monotonic() > deadline:
                    raise SignInCancelled("The browser did not come back in time; sign-in "
                                          "cancelled.")
                self._server.handle_request()  # returns after at most `timeout` (0.2 s)
        finally:
            self.close()
        if self._error is not None:
            raise AuthError(self._error)
        assert self._result is not None
        return self._result

    def cancel(self) -> None:
        """Stop waiting (from any thread); ``wait`` raises :class:`SignInCancelled`."""
        self._cancelled.set()

    def close(self) -> None:
        """Stop listening."""
        self._server.server_close()


# --- token endpoint --------------------------------------------------------------------

_SECRET_FIELDS = frozenset({"code", "code_verifier", "refresh_token", "client_secret", "token"})


def token_request(
    session: requests.Session,
    url: str,
    form: Mapping[str, str],
    *,
    service: str,
    basic_auth: tuple[str, str] | None = None,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> dict[str, Any]:
    """POST an ``application/x-www-form-urlencoded`` body to a token (or revoke) endpoint.

    Never retried (a code is single-use; a refresh token rotates). Secrets sent or
    received never appear in the messages.

    Returns:
        The JSON body (``{}`` when empty).

    Raises:
        GrantRefused: 400/401 from the endpoint (``invalid_grant``, ``invalid_client``...).
        RejectedError: another 4xx.
        TransientError: 5xx or a body that is not JSON.
        NetworkError: unreachable.
    """
    client = HttpClient(session, base_url=url, service=service, timeout=timeout)
    hidden = [v for k, v in form.items() if k in _SECRET_FIELDS and v]
    hidden += list(basic_auth) if basic_auth else []
    try:
        response = session.post(url, data=dict(form), auth=basic_auth, timeout=timeout,
                                headers={"Accept": "application/json"})
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise NetworkError(scrub(f"{service} could not be reached ({type(exc).__name__}).",
                                 hidden)) from None
    except requests.RequestException as exc:
        raise NetworkError(f"{service} could not be reached ({type(exc).__name__}).") from None
    if response.status_code >= 400:
        info = client.error_info(response, urlsplit(url).path, hidden)
        said = f": {info.message}" if info.message else ""
        if response.status_code in (400, 401):
            what = info.code or f"HTTP {info.status}"
            raise GrantRefused(f"{service} refused the sign-in ({what}){said}", info.code)
        if response.status_code >= 500:
            raise TransientError(f"{service} had a problem (HTTP {info.status}{said}).")
        raise RejectedError(f"{service} refused the request (HTTP {info.status}){said}")
    if not response.content.strip():
        return {}
    try:
        body = response.json()
    except ValueError:
        raise TransientError(f"Malformed answer from {service}'s token endpoint.") from None
    if not isinstance(body, dict):
        raise TransientError(f"Malformed answer from {service}'s token endpoint.")
    return body


# --- the stored token bundle -----------------------------------------------------------


def make_bundle(token: Mapping[str, Any], *, now: float, client_id: str, token_url: str,
                previous_refresh: str | None = None) -> dict[str, Any]:
    """The keyring value for a token endpoint's answer (RFC 6749 section 5.1).

    ``expires_in`` becomes an absolute ``expires_at``. A server that does not send a
    new refresh token keeps the old one valid (RFC 6749 section 6), so it is kept.

    Raises:
        TransientError: no access token in the answer.
    """
    access = token.get("access_token")
    if not isinstance(access, str) or not access:
        raise TransientError("Malformed answer from the token endpoint: no access token.")
    bundle: dict[str, Any] = {"v": BUNDLE_VERSION, "access_token": access,
                              "client_id": client_id, "token_url": token_url}
    refresh = token.get("refresh_token") or previous_refresh
    if refresh:
        bundle["refresh_token"] = str(refresh)
    expires_in = token.get("expires_in")
    if isinstance(expires_in, (int, float)) and expires_in > 0:
        bundle["expires_at"] = now + float(expires_in)
    if token.get("scope"):
        bundle["scope"] = str(token["scope"])
    return bundle


def read_bundle(value: str | None) -> dict[str, Any] | None:
    """Parse a stored value; a bare token (set by hand, older builds) is an access token."""
    if not value:
        return None
    if value.startswith("{"):
        try:
            bundle = json.loads(value)
        except ValueError:
            bundle = None
        if isinstance(bundle, dict):
            return bundle
    return {"access_token": value}


# One lock per keyring entry in this process: two connectors of the same account (sync and
# send run on different workers) must not both spend the same single-use refresh token.
_REFRESH_LOCKS: dict[str, threading.Lock] = {}
_LOCKS_GUARD = threading.Lock()


def _lock_for(key: str) -> threading.Lock:
    with _LOCKS_GUARD:
        return _REFRESH_LOCKS.setdefault(key, threading.Lock())


class RefreshingToken:
    """An OAuth access token that renews itself with its (rotating) refresh token.

    Same interface as ``http.StoredToken`` (``get``, ``forget``, ``known``) plus
    :meth:`renew_after_401`. The bundle lives in one keyring entry under ``key``.

    Args:
        secrets: the keyring.
        key: the account's entry.
        service: how messages name the platform, e.g. ``"X"``.
        account: how messages name the account, e.g. ``"@brand"``.
        session: for the token endpoint.
        clock: the current Unix time.
        margin: renew this many seconds before expiry.
    """

    def __init__(self, secrets: SecretStore, key: str, *, service: str, account: str,
                 session: requests.Session, clock: Callable[[], float] = time.time,
                 margin: float = REFRESH_MARGIN, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        self._secrets = secrets
        self._key = key
        self._service = service
        self._account = account
        self._session = session
        self._clock = clock
        self._margin = margin
        self._timeout = timeout
        self._bundle: dict[str, Any] | None = None
        self._seen: list[str] = []

    def __repr__(self) -> str:
        return f"RefreshingToken(key={self._key!r})"

    def _reconnect_message(self) -> str:
        return (f"{self._service} no longer accepts the sign-in of {self._account}: reconnect "
                "the account (Accounts, select it, Sign in again). Replies waiting in the "
                "outbox stay there until then.")

    def _load(self) -> dict[str, Any]:
        bundle = read_bundle(self._secrets.get(self._key))
        if bundle is None:
            raise AuthError(f"No sign-in is stored for the {self._service} account "
                            f"{self._account}. Connect the account in the Accounts dialog.")
        if bundle.get("reconnect"):
            raise ReconnectNeeded(self._reconnect_message())
        if not bundle.get("access_token"):
            raise AuthError(f"The stored sign-in of {self._account} is damaged; sign in again.")
        self._note(bundle)
        return bundle

    def _note(self, bundle: Mapping[str, Any]) -> None:
        for name in ("access_token", "refresh_token"):
            value = bundle.get(name)
            if isinstance(value, str) and value not in self._seen:
                self._seen.append(value)

    def get(self) -> Secret:
        """The access token, renewed first when it expires within the margin.

        Raises:
            AuthError: nothing stored.
            ReconnectNeeded: the platform refused to renew it (now or earlier).
        """
        if self._bundle is None:
            self._bundle = self._load()
        expires_at = self._bundle.get("expires_at")
        if (isinstance(expires_at, (int, float)) and self._bundle.get("refresh_token")
                and self._clock() >= expires_at - self._margin):
            self._refresh(self._bundle)
        return Secret(str(self._bundle["access_token"]))

    def renewable(self) -> bool:
        """Whether a refresh token is stored (a token pasted by hand has none)."""
        bundle = self._bundle or self._load()
        return bool(bundle.get("refresh_token"))

    def renew_after_401(self, refused: Secret) -> Secret:
        """The API refused ``refused``: renew once and return the new token.

        Raises:
            AuthError: there is no refresh token (a token pasted by hand).
            ReconnectNeeded: the platform refused the refresh.
        """
        bundle = self._bundle or self._load()
        if bundle.get("access_token") != refused.reveal():
            return self.get()  # already renewed meanwhile (another call)
        if not bundle.get("refresh_token"):
            self.forget()
            raise AuthError(f"{self._service} refused the token of {self._account} and "
                            "there is no refresh token; sign in again.")
        self._refresh(bundle)
        assert self._bundle is not None
        return Secret(str(self._bundle["access_token"]))

    def forget(self) -> None:
        """Read the keyring again next time (the account may have been reconnected)."""
        self._bundle = None

    def known(self) -> Iterable[str]:
        """Every token value seen, for scrubbing them out of messages."""
        return tuple(self._seen)

    def _refresh(self, used: dict[str, Any]) -> None:
        with _lock_for(self._key):
            # Another connector (or another process: the command line from cron) may have
            # renewed it already; its rotated token is then the only valid one.
            stored = self._load()
            if stored.get("refresh_token") != used.get("refresh_token"):
                log.info("%s token of %s was renewed elsewhere; using that one",
                         self._service, self._account)
                self._bundle = stored
                return
            form = {"grant_type": "refresh_token", "refresh_token": str(used["refresh_token"]),
                    "client_id": str(used.get("client_id") or "")}
            url = str(used.get("token_url") or "")
            if not url or not form["client_id"]:
                raise AuthError(f"The stored sign-in of {self._account} cannot be renewed; "
                                "sign in again.")
            try:
                answer = token_request(self._session, url, form, service=self._service,
                                       timeout=self._timeout)
            except GrantRefused as exc:
                again = read_bundle(self._secrets.get(self._key)) or {}
                if again.get("refresh_token") not in (None, used.get("refresh_token")):
                    self._bundle = again  # rotated by another process while we asked
                    self._note(again)
                    return
                log.warning("%s refused to renew the sign-in of %s (%s)", self._service,
                            self._account, exc.code)
                # Keep no dead secret, but remember why: the account shows "reconnect".
                self._secrets.set(self._key, json.dumps({
                    "v": BUNDLE_VERSION, "reconnect": True, "client_id": used.get("client_id"),
                    "token_url": url}))
                self._bundle = None
                raise ReconnectNeeded(self._reconnect_message()) from None
            bundle = make_bundle(answer, now=self._clock(), client_id=form["client_id"],
                                 token_url=url, previous_refresh=form["refresh_token"])
            self._note(bundle)
            # One entry holds access and refresh token: both are saved or neither is.
            self._secrets.set(self._key, json.dumps(bundle))
            self._bundle = bundle
            log.info("%s sign-in of %s renewed", self._service, self._account)


def secret_key(platform: object, handle: str) -> str:
    """The keyring entry of an account: stable across workspaces (``x:brand``).

    Args:
        platform: a ``Platform`` or its value.
        handle: the account's handle (a leading ``@`` and the case do not matter).
    """
    name = str(getattr(platform, "value", platform))
    return f"{name}:{handle.lstrip('@').lower()}"


def needs_reconnect(value: str | None) -> bool:
    """Whether a stored keyring value says the platform refused to renew the sign-in."""
    bundle = read_bundle(value)
    return bool(bundle and bundle.get("reconnect"))


@dataclass(frozen=True)
class SignInResult:
    """A finished sign-in: whose account it is and the keyring entries to save."""

    platform: str
    handle: str
    display_name: str
    server: str | None
    entries: Mapping[str, str] = field(repr=False)  # keyring key -> value (secrets)
