"""A local OAuth 2.0 server for the sign-in tests: Mastodon's and X's documented endpoints.

A real ``http.server`` on 127.0.0.1 in a thread. It follows the platforms' documents, not
our client: Mastodon (docs.joinmastodon.org, methods/apps and methods/oauth) registers
apps with ``POST /api/v1/apps``, shows ``GET /oauth/authorize``, checks the PKCE
``code_verifier`` (S256) and the exact ``redirect_uri`` at ``POST /oauth/token``, answers
``GET /api/v1/accounts/verify_credentials`` and revokes with ``POST /oauth/revoke``. X
(docs.x.com, OAuth 2.0 Authorization Code Flow with PKCE) shows ``/i/oauth2/authorize``,
issues two-hour access tokens with a refresh token under ``offline.access`` at
``POST /2/oauth2/token`` (form-encoded; each refresh rotates the refresh token and the old
one stops working), and answers ``GET /2/users/me``.

The "approve" button of the authorization page is a form posting back to the same path;
the test drives it with ``requests`` (:func:`approve_in_browser`), as a user's browser would.
Bodies are the recorded payloads in ../shared/fixtures where one fits.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
import secrets
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import requests

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"
OOB = "urn:ietf:wg:oauth:2.0:oob"


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(
        b"=").decode()


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    method: str
    scope: str


@dataclass
class State:
    apps: dict[str, dict[str, Any]] = field(default_factory=dict)  # client_id -> app
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, str] = field(default_factory=dict)  # token -> "mastodon" | "x"
    refresh: dict[str, str] = field(default_factory=dict)  # X refresh token -> client_id
    revoked: list[str] = field(default_factory=list)
    calls: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    refuse_refresh: str | None = None  # an OAuth error code to answer every refresh with


class LocalOAuthServer:
    """Mastodon and X OAuth endpoints on one local server (see module docstring)."""

    x_client_id = "X-PUBLIC-CLIENT-1"

    def __init__(self) -> None:
        self.state = State()
        self.x_redirect_uris: list[str] = []  # registered in "the developer portal"
        self.tweets: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                owner._serve(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                owner._serve(self, "POST")

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def hits(self, method: str, path: str) -> list[dict[str, str]]:
        return [form for m, p, form in self.state.calls if m == method and p == path]

    def expire_access_tokens(self) -> None:
        """Every access token stops working (as after two hours on X)."""
        with self.lock:
            self.state.access.clear()

    # --- plumbing -------------------------------------------------------------------

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length else b""
        ctype = request.headers.get("Content-Type", "")
        form: dict[str, Any]
        if "json" in ctype:
            form = json.loads(raw or b"{}")
        else:
            form = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with self.lock:
            self.state.calls.append((method, parts.path, {**query, **form}))
            route = {
                ("POST", "/api/v1/apps"): self._register,
                ("GET", "/oauth/authorize"): self._authorize_page,
                ("POST", "/oauth/authorize"): self._approve,
                ("POST", "/oauth/token"): self._mastodon_token,
                ("POST", "/oauth/revoke"): self._revoke,
                ("GET", "/api/v1/accounts/verify_credentials"): self._verify_credentials,
                ("GET", "/i/oauth2/authorize"): self._authorize_page,
                ("POST", "/i/oauth2/authorize"): self._approve,
                ("POST", "/2/oauth2/token"): self._x_token,
                ("POST", "/2/oauth2/revoke"): self._revoke,
                ("GET", "/2/users/me"): self._users_me,
                ("POST", "/2/tweets"): self._tweet,
            }.get((method, parts.path))
            if route is None and method == "GET" and re.fullmatch(r"/2/users/\d+/tweets",
                                                                  parts.path):
                route = self._own_tweets
            if route is None:
                answer: tuple[int, dict[str, str], bytes] = (
                    404, {"Content-Type": "application/json"}, b'{"error":"Not Found"}')
            else:
                answer = route(request, {**query, **form})
        status, headers, body = answer
        request.send_response(status)
        for name, value in headers.items():
            request.send_header(name, value)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    @staticmethod
    def _json(status: int, body: Any) -> tuple[int, dict[str, str], bytes]:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return status, {"Content-Type": "application/json; charset=utf-8",
                        "Cache-Control": "no-store"}, raw

    def _bearer(self, request: BaseHTTPRequestHandler) -> str | None:
        header = request.headers.get("Authorization", "")
        return header[7:] if header.startswith("Bearer ") else None

    # --- Mastodon -------------------------------------------------------------------

    def _register(self, _request: BaseHTTPRequestHandler, form: dict[str, Any]
                  ) -> tuple[int, dict[str, str], bytes]:
        uris = form.get("redirect_uris")
        if not form.get("client_name") or not uris:
            return self._json(422, {"error": "Validation failed: Name can't be blank"})
        uris = [uris] if isinstance(uris, str) else list(uris)
        client_id, secret = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        app = {"id": str(len(self.state.apps) + 1), "name": form["client_name"],
               "website": form.get("website"), "scopes": str(form.get("scopes", "read")).split(),
               "redirect_uri": "\n".join(uris), "redirect_uris": uris,
               "client_id": client_id, "client_secret": secret, "client_secret_expires_at": 0}
        self.state.apps[client_id] = app
        return self._json(200, app)

    def _authorize_page(self, _request: BaseHTTPRequestHandler, query: dict[str, str]
                        ) -> tuple[int, dict[str, str], bytes]:
        client_id = query.get("client_id", "")
        redirect = query.get("redirect_uri", "")
        allowed = (self.state.apps[client_id]["redirect_uris"] if client_id in self.state.apps
                   else self.x_redirect_uris if client_id == self.x_client_id else None)
        if allowed is None or redirect not in allowed:
            return 400, {"Content-Type": "text/html"}, b"<p>invalid client or redirect_uri</p>"
        if query.get("response_type") != "code" or query.get("code_challenge_method") != "S256":
            return 400, {"Content-Type": "text/html"}, b"<p>unsupported request</p>"
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in query.items())
        page = f'<form method="post"><button name="approve" value="1">Authorize</button>{fields}</form>'
        return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()

    def _approve(self, _request: BaseHTTPRequestHandler, form: dict[str, str]
                 ) -> tuple[int, dict[str, str], bytes]:
        redirect = form["redirect_uri"]
        if form.get("approve") != "1":
            location = f"{redirect}?" + urlencode({"error": "access_denied",
                                                   "state": form.get("state", "")})
            return 302, {"Location": location}, b""
        code = secrets.token_urlsafe(24)
        self.state.codes[code] = Grant(client_id=form["client_id"], redirect_uri=redirect,
                                       challenge=form["code_challenge"],
                                       method=form["code_challenge_method"],
                                       scope=form.get("scope", ""))
        if redirect == OOB:  # Mastodon shows the code for the user to copy
            page = f'<p>Copy this authorization code: <code id="code">{code}</code></p>'
            return 200, {"Content-Type": "text/html; charset=utf-8"}, page.encode()
        location = f"{redirect}?" + urlencode({"code": code, "state": form.get("state", "")})
        return 302, {"Location": location}, b""

    def _redeem(self, form: dict[str, str]) -> Grant | None:
        grant = self.state.codes.pop(form.get("code", ""), None)  # single use
        if (grant is None or grant.client_id != form.get("client_id")
                or grant.redirect_uri != form.get("redirect_uri")
                or s256(form.get("code_verifier", "")) != grant.challenge):
            return None
        return grant

    def _mastodon_token(self, _request: BaseHTTPRequestHandler, form: dict[str, str]
                        ) -> tuple[int, dict[str, str], bytes]:
        app = self.state.apps.get(form.get("client_id", ""))
        if (form.get("grant_type") != "authorization_code" or app is None
                or app["client_secret"] != form.get("client_secret")):
            return self._json(401, {"error": "invalid_client", "error_description":
                                    "Client authentication failed due to unknown client, no "
                                    "client authentication included, or unsupported "
                                    "authentication method."})
        grant = self._redeem(form)
        if grant is None:
            return self._json(400, fixture("mastodon/error_400_oauth_invalid_grant.json"))
        token = secrets.token_urlsafe(32)
        self.state.access[token] = "mastodon"
        return self._json(200, {"access_token": token, "token_type": "Bearer",
                                "scope": grant.scope, "created_at": 1796000000})

    def _revoke(self, _request: BaseHTTPRequestHandler, form: dict[str, str]
                ) -> tuple[int, dict[str, str], bytes]:
        token = form.get("token", "")
        app = self.state.apps.get(form.get("client_id", ""))
        if app is not None and app["client_secret"] != form.get("client_secret"):
            return self._json(403, {"error": "unauthorized_client"})
        self.state.revoked.append(token)
        self.state.access.pop(token, None)
        self.state.refresh.pop(token, None)
        return self._json(200, {} if app is not None else {"revoked": True})

    def _verify_credentials(self, request: BaseHTTPRequestHandler, _q: dict[str, str]
                            ) -> tuple[int, dict[str, str], bytes]:
        if self.state.access.get(self._bearer(request) or "") != "mastodon":
            return self._json(401, fixture("mastodon/error_401_invalid_token.json"))
        return self._json(200, fixture("mastodon/verify_credentials.json"))

    # --- X ---------------------------------------------------------------------------

    def _x_token(self, request: BaseHTTPRequestHandler, form: dict[str, str]
                 ) -> tuple[int, dict[str, str], bytes]:
        if "form-urlencoded" not in request.headers.get("Content-Type", ""):
            return self._json(400, {"error": "invalid_request",
                                    "error_description": "Missing required parameter"})
        if form.get("client_id") != self.x_client_id:
            return self._json(401, {"error": "unauthorized_client",
                                    "error_description": "Missing valid authorization header"})
        if form.get("grant_type") == "authorization_code":
            grant = self._redeem(form)
            if grant is None:
                return self._json(400, {"error": "invalid_request", "error_description":
                                        "Value passed for the authorization code was invalid."})
            scope = grant.scope
        elif form.get("grant_type") == "refresh_token":
            if self.state.refuse_refresh:
                return self._json(400, {"error": self.state.refuse_refresh,
                                        "error_description": "Value passed for the token was "
                                                             "invalid."})
            old = form.get("refresh_token", "")
            if self.state.refresh.pop(old, None) != form["client_id"]:  # rotated: single use
                return self._json(400, {"error": "invalid_request", "error_description":
                                        "Value passed for the token was invalid."})
            scope = "tweet.read tweet.write users.read dm.read dm.write offline.access"
        else:
            return self._json(400, {"error": "unsupported_grant_type"})
        access = secrets.token_urlsafe(40)
        self.state.access[access] = "x"
        body: dict[str, Any] = {"token_type": "bearer", "expires_in": 7200,
                                "access_token": access, "scope": scope}
        if "offline.access" in scope.split():
            refresh = secrets.token_urlsafe(40)
            self.state.refresh[refresh] = form["client_id"]
            body["refresh_token"] = refresh
        return self._json(200, body)

    def _users_me(self, request: BaseHTTPRequestHandler, _q: dict[str, str]
                  ) -> tuple[int, dict[str, str], bytes]:
        if self.state.access.get(self._bearer(request) or "") != "x":
            return self._json(401, fixture("x/error_401_unauthorized.json"))
        return self._json(200, fixture("x/users_me.json"))


    def _authorized_x(self, request: BaseHTTPRequestHandler) -> bool:
        return self.state.access.get(self._bearer(request) or "") == "x"

    def _tweet(self, request: BaseHTTPRequestHandler, form: dict[str, Any]
               ) -> tuple[int, dict[str, str], bytes]:
        if not self._authorized_x(request):
            return self._json(401, fixture("x/error_401_unauthorized.json"))
        self.tweets.append(form)
        return self._json(201, fixture("x/tweets_create.json"))

    def _own_tweets(self, request: BaseHTTPRequestHandler, _q: dict[str, str]
                    ) -> tuple[int, dict[str, str], bytes]:
        if not self._authorized_x(request):
            return self._json(401, fixture("x/error_401_unauthorized.json"))
        # Nothing posted yet: the recorded empty timeline.
        return self._json(200, fixture("x/users_mentions_empty.json"))


def approve_in_browser(authorize_url: str, *, approve: bool = True) -> requests.Response:
    """What the user's browser does: open the page, press Authorize, follow the redirect.

    Returns:
        The last response (the loopback listener's page, or the page showing the code).
    """
    browser = requests.Session()
    page = browser.get(authorize_url, timeout=10)
    page.raise_for_status()
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', page.text))
    fields = {html.unescape(k): html.unescape(v) for k, v in fields.items()}
    if not approve:
        fields.pop("approve", None)
    return browser.post(authorize_url.split("?")[0], data=fields, timeout=10)
