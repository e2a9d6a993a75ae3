"""HTTP plumbing shared by the connectors: timeouts, bounded retries, error mapping, redaction.

:func:`build_session` makes the ``requests.Session`` the app hands to connectors
(User-Agent, a default timeout on every call). :class:`HttpClient` is what a
connector calls: it adds the token, retries idempotent GETs a little on connection
errors and 5xx, honours rate-limit headers and turns every failure into one of the
:mod:`console.core.errors` classes with a message that never contains a secret.
"""

from __future__ import annotations

import email.utils
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter

from console import __version__
from console.connectors.base import parse_timestamp
from console.core.errors import (
    AuthError,
    KnownError,
    NetworkError,
    NotFoundError,
    RateLimitedError,
    RejectedError,
    TransientError,
)
from console.core.secrets import Secret, SecretStore

log = logging.getLogger(__name__)

Timeout = tuple[float, float]  # (connect, read) seconds

DEFAULT_TIMEOUT: Final[Timeout] = (5.0, 30.0)
USER_AGENT: Final = f"CommunityConsole/{__version__}"
RETRY_STATUSES: Final = frozenset({500, 502, 503, 504})
MAX_RETRY_WAIT: Final = 10.0  # longest server-requested wait slept through inside one call
MAX_MESSAGE: Final = 300  # characters of a server's error text we pass on

_REMAINING_HEADERS = ("x-ratelimit-remaining", "ratelimit-remaining", "x-rate-limit-remaining")
_RESET_HEADERS = ("x-ratelimit-reset", "ratelimit-reset", "x-rate-limit-reset")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s,\"';]+")
_JWT = re.compile(r"\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*")


class TimeoutSession(requests.Session):
    """A ``requests.Session`` that puts a timeout on every call that does not set one."""

    def __init__(self, timeout: Timeout = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.timeout = timeout

    def request(
        self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any
    ) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        return super().request(method, url, *args, **kwargs)


def build_session(
    *, timeout: Timeout = DEFAULT_TIMEOUT, user_agent: str = USER_AGENT
) -> requests.Session:
    """Make the session connectors use: User-Agent, JSON accept, default timeout.

    urllib3's own retries are off: :class:`HttpClient` decides what is safe to
    retry (GETs only), so a POST is never sent twice behind our back.

    Args:
        timeout: (connect, read) seconds applied to calls that set none.
        user_agent: the User-Agent header.

    Returns:
        A ready session.
    """
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    session.headers["Accept"] = "application/json"
    adapter = HTTPAdapter(max_retries=0, pool_maxsize=4)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Remove credentials from a text meant for a message or a log line.

    Args:
        text: the text.
        secrets: secret strings known to the caller; each is replaced by ``***``.

    Returns:
        The text with known secrets, ``Bearer`` tokens and JWTs masked.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = _BEARER.sub(r"\1***", text)
    return _JWT.sub("***", text)


@dataclass(frozen=True)
class ErrorInfo:
    """What an error response said, for a connector's :data:`ErrorHook`."""

    status: int
    code: str | None  # platform error code: Bluesky "ExpiredToken", X problem type, ...
    message: str  # the server's human text (scrubbed, shortened), may be ""
    path: str


ErrorHook = Callable[[ErrorInfo], KnownError | None]


@dataclass(frozen=True)
class Reply:
    """A successful response: status, headers, parsed JSON body and Link relations."""

    status: int
    data: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    links: Mapping[str, str] = field(default_factory=dict)  # rel -> absolute URL


@dataclass(frozen=True)
class RateLimit:
    """The last rate-limit headers seen (for display; the client enforces them itself)."""

    remaining: int | None
    reset_in: float | None  # seconds from when it was read


def parse_reset(value: str | None, now: float) -> float | None:
    """Seconds until a rate-limit window resets, from any of the header styles in use.

    Mastodon sends an ISO timestamp, X and Bluesky a Unix time, the IETF draft a
    number of seconds. Numbers above 10^9 are read as Unix times.

    Args:
        value: the header value.
        now: the current Unix time.

    Returns:
        Seconds to wait (never negative), or ``None`` if the value is unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    try:
        number = float(text)
    except ValueError:
        stamp = parse_timestamp(text)
        if stamp is None:
            return None
        return max(0.0, stamp.timestamp() - now)
    if number > 1e9:
        return max(0.0, number - now)
    return max(0.0, number)


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """How long the server asked us to wait: ``Retry-After``, else the reset headers.

    Args:
        headers: response headers (any capitalisation).
        now: the current Unix time.

    Returns:
        Seconds, or ``None`` when the response does not say.
    """
    headers = {name.lower(): value for name, value in headers.items()}
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            when = email.utils.parsedate_to_datetime(value) if value else None
            if when is not None:
                return max(0.0, when.timestamp() - now)
    for name in _RESET_HEADERS:
        seconds = parse_reset(headers.get(name), now)
        if seconds is not None:
            return seconds
    return None


class StoredToken:
    """A bearer token read from the secret store once, and forgotten when refused.

    Forgetting it makes the next call read the keyring again, so reconnecting
    the account (a new token) needs no restart.
    """

    def __init__(self, secrets: SecretStore, key: str, missing: str) -> None:
        self._secrets = secrets
        self._key = key
        self._missing = missing
        self._cached: Secret | None = None

    def get(self) -> Secret:
        if self._cached is None:
            value = self._secrets.get(self._key)
            if not value:
                raise AuthError(self._missing)
            self._cached = Secret(value)
        return self._cached

    def forget(self) -> None:
        self._cached = None

    def known(self) -> Iterable[str]:
        """The token's value, for scrubbing it out of messages."""
        return (self._cached.reveal(),) if self._cached is not None else ()


class HttpClient:
    """Makes a connector's calls to one server and maps every failure to a KnownError.

    Args:
        session: the ``requests.Session`` to use (tests pass one with a fake adapter).
        base_url: the server root, e.g. ``https://mastodon.social``.
        service: how messages name the server, e.g. ``"Mastodon (mastodon.social)"``.
        secrets: returns the secret strings to mask in messages (tokens, passwords).
        timeout: (connect, read) seconds for every call.
        get_retries: extra attempts for GETs after a connection error or 5xx.
        backoff: first retry delay in seconds (doubles each time).
        sleep: how to wait (tests pass a recorder).
        clock: the current Unix time.
        error_hook: platform-specific mapping tried before the generic one.
    """

    def __init__(
        self,
        session: requests.Session,
        *,
        base_url: str,
        service: str,
        secrets: Callable[[], Iterable[str]] = tuple,
        timeout: Timeout = DEFAULT_TIMEOUT,
        get_retries: int = 2,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        error_hook: ErrorHook | None = None,
    ) -> None:
        self.session = session
        self.base_url = base_url.rstrip("/")
        self.service = service
        self.timeout = timeout
        self.get_retries = get_retries
        self.backoff = backoff
        self.error_hook = error_hook
        self.last_rate_limit: RateLimit | None = None
        self._secrets = secrets
        self._sleep = sleep
        self._clock = clock
        self._blocked_until: dict[str, float] = {}
        origin = urlsplit(self.base_url)
        self._origin = (origin.scheme, origin.netloc)

    def __repr__(self) -> str:
        return f"HttpClient({self.base_url!r})"

    @property
    def host(self) -> str:
        """The server's host name (and port)."""
        return self._origin[1]

    def get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        token: Secret | None = None,
    ) -> Reply:
        """GET ``path`` (relative to the base URL, or an absolute same-origin URL).

        Retried a little on connection errors and 5xx. Raises like :meth:`request`.
        """
        return self.request("GET", path, params=params, headers=headers, token=token)

    def post(
        self,
        path: str,
        *,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: Secret | None = None,
    ) -> Reply:
        """POST a JSON body to ``path``; never retried. Raises like :meth:`request`."""
        return self.request("POST", path, json=json, headers=headers, token=token)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        token: Secret | None = None,
    ) -> Reply:
        """Make one call (plus bounded retries when it is a GET).

        Args:
            method: HTTP method.
            path: path relative to the base URL, or an absolute URL on the same origin.
            params: query parameters.
            json: JSON body.
            headers: extra headers.
            token: sent as ``Authorization: Bearer``.

        Returns:
            The parsed response.

        Raises:
            AuthError: 401/403.
            NotFoundError: 404.
            RateLimitedError: 429, or the rate-limit headers said the window is used up.
            RejectedError: any other 4xx.
            TransientError: 5xx, or a malformed/truncated/non-JSON body.
            NetworkError: offline, refused, timed out, connection dropped.
        """
        url = self._url(path)
        key = f"{method} {urlsplit(url).path}"
        send_headers = dict(headers or {})
        if token is not None:
            send_headers["Authorization"] = f"Bearer {token.reveal()}"
        extra_secrets = (token.reveal(),) if token is not None else ()
        attempts = 1 + (self.get_retries if method in ("GET", "HEAD") else 0)
        for attempt in range(attempts):
            self._check_gate(key)
            last = attempt == attempts - 1
            started = self._clock()
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    headers=send_headers,
                    timeout=self.timeout,
                )
            except (requests.ConnectionError, requests.Timeout) as exc:
                error: KnownError = self._network_error(exc, method)
                log.debug("%s %s failed: %s", method, key, type(exc).__name__)
                if last:
                    raise error from None
                self._sleep(self._delay(attempt))
                continue
            except (
                requests.exceptions.ChunkedEncodingError,
                requests.exceptions.ContentDecodingError,
            ):
                error = TransientError(
                    f"Malformed response from {self.service}: the answer to {method} "
                    f"{urlsplit(url).path} was cut off or garbled."
                )
                if last:
                    raise error from None
                self._sleep(self._delay(attempt))
                continue
            except requests.RequestException as exc:
                log.debug("%s %s failed: %s", method, key, type(exc).__name__)
                raise NetworkError(
                    f"{self.service} could not be reached ({type(exc).__name__})."
                ) from None
            log.debug(
                "%s %s -> %s in %.0f ms",
                method,
                key,
                response.status_code,
                (self._clock() - started) * 1000,
            )
            self._note_rate_limit(key, response)
            status = response.status_code
            if status in RETRY_STATUSES and not last:
                wait = retry_after(response.headers, self._clock())
                if wait is None or wait <= MAX_RETRY_WAIT:
                    self._sleep(wait if wait is not None else self._delay(attempt))
                    continue
            if status >= 400:
                raise self._error(response, key, extra_secrets) from None
            return Reply(
                status=status,
                data=self._json(response, method, url),
                headers=response.headers,
                links={rel: link["url"] for rel, link in response.links.items() if "url" in link},
            )
        raise AssertionError("unreachable")  # the loop always returns or raises

    # --- internals ------------------------------------------------------------------

    def _url(self, path: str) -> str:
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if (parts.scheme, parts.netloc) != self._origin:
                # Never send this account's token to another host (a hostile Link header).
                raise RejectedError(
                    f"{self.service} pointed to another server ({parts.netloc}); not following."
                )
            return path
        return urljoin(self.base_url + "/", path.lstrip("/"))

    def _delay(self, attempt: int) -> float:
        return float(min(self.backoff * (2**attempt), 8.0))

    def _scrub(self, text: str, extra: Iterable[str] = ()) -> str:
        return scrub(text, [*self._secrets(), *extra])

    def _check_gate(self, key: str) -> None:
        until = self._blocked_until.get(key)
        if until is None:
            return
        wait = until - self._clock()
        if wait <= 0:
            del self._blocked_until[key]
            return
        raise RateLimitedError(
            f"{self.service} rate limit for this kind of request is used up; "
            f"try again in {wait:.0f} s.",
            retry_after=wait,
        )

    def _note_rate_limit(self, key: str, response: requests.Response) -> None:
        remaining_text = next(
            (response.headers[h] for h in _REMAINING_HEADERS if h in response.headers), None
        )
        if remaining_text is None:
            return
        try:
            remaining: int | None = int(float(remaining_text))
        except ValueError:
            remaining = None
        now = self._clock()
        reset_in = next(
            (
                seconds
                for h in _RESET_HEADERS
                if (seconds := parse_reset(response.headers.get(h), now)) is not None
            ),
            None,
        )
        self.last_rate_limit = RateLimit(remaining=remaining, reset_in=reset_in)
        if remaining == 0 and reset_in:
            self._blocked_until[key] = now + reset_in

    def _network_error(self, exc: Exception, method: str) -> NetworkError:
        host = self.host
        text = str(exc)
        if isinstance(exc, requests.ConnectTimeout):
            reason = (
                f"did not answer within {self.timeout[0]:g} s (connection timed out); "
                "the computer may be offline"
            )
        elif isinstance(exc, requests.Timeout):
            reason = f"sent no answer within {self.timeout[1]:g} s (timed out)"
        elif any(
            marker in text
            for marker in (
                "NameResolution",
                "Name or service not known",
                "nodename nor servname",
                "getaddrinfo",
                "Temporary failure in name resolution",
                "No address associated",
            )
        ):
            reason = f"is unreachable: the name {host.split(':')[0]} cannot be looked up (offline?)"
        elif "refused" in text.lower():
            reason = "is unreachable: the connection was refused (server down or wrong address)"
        elif any(
            m in text for m in ("RemoteDisconnected", "aborted", "reset by peer", "BrokenPipe")
        ):
            reason = "closed the connection before answering"
        else:
            reason = "is unreachable (offline?)"
        message = f"{self.service} ({host}) {reason}."
        if method not in ("GET", "HEAD"):
            message += " The request may or may not have been carried out."
        return NetworkError(self._scrub(message))

    def _json(self, response: requests.Response, method: str, url: str) -> Any:
        if not response.content:
            return None
        content_type = response.headers.get("Content-Type", "")
        if "html" in content_type.lower():
            raise TransientError(
                f"{self.service} answered {method} {urlsplit(url).path} with an HTML page "
                "instead of data (a captive portal, proxy or maintenance page?)."
            )
        try:
            return response.json()
        except ValueError:
            raise TransientError(
                f"Malformed response from {self.service}: the answer to {method} "
                f"{urlsplit(url).path} is not valid JSON (cut off?)."
            ) from None

    def error_info(
        self, response: requests.Response, path: str, extra: Iterable[str] = ()
    ) -> ErrorInfo:
        """Read the platform's error code and message out of an error response.

        Args:
            response: the error response.
            path: the request path, for messages.
            extra: more secrets to mask.

        Returns:
            The status, code and a scrubbed, shortened message.
        """
        code: str | None = None
        message = ""
        content_type = response.headers.get("Content-Type", "").lower()
        body: Any = None
        if "json" in content_type or response.content[:1] in (b"{", b"["):
            try:
                body = response.json()
            except ValueError:
                body = None
        if isinstance(body, dict):
            code, message = _code_and_message(body)
        elif "html" in content_type or response.content.lstrip()[:1] == b"<":
            message = ""  # an HTML error page says nothing a user can act on
        elif response.content:
            message = response.text.strip().splitlines()[0] if response.text.strip() else ""
        message = self._scrub(message, extra)
        if len(message) > MAX_MESSAGE:
            message = message[: MAX_MESSAGE - 1] + "…"
        return ErrorInfo(status=response.status_code, code=code, message=message, path=path)

    def _error(self, response: requests.Response, key: str, extra: Iterable[str]) -> KnownError:
        path = key.split(" ", 1)[1]
        info = self.error_info(response, path, extra)
        if self.error_hook is not None:
            mapped = self.error_hook(info)
            if mapped is not None:
                return mapped
        status = info.status
        said = f": {info.message}" if info.message else ""
        if status == 401:
            return AuthError(
                f"{self.service} refused the account's credentials{said}. "
                "Reconnect the account in Settings."
            )
        if status == 403:
            return AuthError(
                f"{self.service} denied this request{said}. The account or app may lack "
                "the permission for it, or the account may be restricted."
            )
        if status == 404:
            page = " (the server sent an HTML error page)" if _is_html(response) else ""
            return NotFoundError(f"{self.service}: {path} was not found{said}{page}.")
        if status == 429:
            wait = retry_after(response.headers, self._clock())
            if wait is not None:
                self._blocked_until[key] = self._clock() + wait
            when = f" Try again in {wait:.0f} s." if wait is not None else " Try again later."
            return RateLimitedError(
                f"{self.service} rate limit reached{said}.{when}", retry_after=wait
            )
        if status == 408 or status >= 500:
            return TransientError(
                f"{self.service} had a problem (HTTP {status}{said}); it may work again later."
            )
        return RejectedError(f"{self.service} refused the request (HTTP {status}){said}")


def _is_html(response: requests.Response) -> bool:
    return "html" in response.headers.get("Content-Type", "").lower()


def _code_and_message(body: dict[str, Any]) -> tuple[str | None, str]:
    """Pull (code, message) out of the error bodies the three platforms send."""
    error = body.get("error")
    if isinstance(body.get("message"), str):  # XRPC: {"error": "ExpiredToken", "message": ...}
        return (error if isinstance(error, str) else None), body["message"]
    if isinstance(body.get("error_description"), str):  # OAuth: {"error", "error_description"}
        return (error if isinstance(error, str) else None), body["error_description"]
    if isinstance(error, str):  # Mastodon: {"error": "human text"}
        return None, error
    # X API v2 problem: {"title", "detail", "type", "errors": [{"message"|"detail"}]}
    code = body.get("type") if isinstance(body.get("type"), str) else None
    parts: list[str] = []
    for key in ("detail", "title"):
        if isinstance(body.get(key), str):
            parts.append(body[key])
            break
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        first = errors[0]
        detail = first.get("message") or first.get("detail")
        if isinstance(detail, str) and detail not in parts:
            parts.append(detail)
        if code is None and isinstance(first.get("type"), str):
            code = first["type"]
    return code, " ".join(parts)
