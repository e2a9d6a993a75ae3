"""A local stand-in for Bluesky's closed-source chat service, checked against the real lexicons.

The local Bluesky network (PLC, PDS, AppView from ``@atproto/dev-env``) runs no chat
service, and Bluesky's is not open source. This server answers the ``chat.bsky.convo.*``
calls the connector makes (``listConvos``, ``getMessages``, ``sendMessage``,
``getConvoForMembers``) on 127.0.0.1, the way the PDS-proxied service does:

- the caller's access JWT is checked with the local PDS (``getSession``); an app password
  made without DM access is refused with ``InvalidToken: Bad token method``, as the PDS
  does, and the ``atproto-proxy`` header must name the chat service;
- every request (query parameters, input body) and every answer is validated against the
  lexicons shipped in the Bluesky kit's ``node_modules/@atproto/api`` (dumped with node):
  anything off is recorded in :attr:`ChatServer.violations` (tests assert it stays empty),
  and a bad request is answered ``400 InvalidRequest``.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

API = (Path(os.environ.get("BSKY_NET_HOME", "/tmp/bsky-net"))
       / "deps/node_modules/@atproto/api/dist/client/lexicons.js")
CHAT_PROXY = "did:web:api.bsky.chat#bsky_chat"
_TID_ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, as atproto TIDs
_LEXICONS: dict[str, dict[str, Any]] | None = None
_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


def load_lexicons(api: Path = API) -> dict[str, dict[str, Any]]:
    """The lexicon documents shipped in ``@atproto/api`` (its generated ``schemaDict``), by id."""
    global _LEXICONS
    if _LEXICONS is None:
        node = shutil.which("node")
        if node is None or not api.exists():
            raise FileNotFoundError(f"node and {api} (the Bluesky kit's node_modules)")
        script = (f"import {{schemaDict}} from {json.dumps(str(api))};"
                  "console.log(JSON.stringify(Object.values(schemaDict)));")
        out = subprocess.run([node, "--input-type=module", "-e", script], capture_output=True,
                             text=True, check=True, timeout=60).stdout
        _LEXICONS = {doc["id"]: doc for doc in json.loads(out)}
    return _LEXICONS


class LexiconValidator:
    """Checks values against lexicon definitions (the subset chat.bsky.convo.* uses)."""

    def __init__(self, lexicons: dict[str, dict[str, Any]]) -> None:
        self.lexicons = lexicons

    def definition(self, ref: str, context: str) -> tuple[dict[str, Any], str]:
        """Resolve ``lex:id#name``, ``id``, or ``#name`` (in ``context``) to (definition, id)."""
        ref = ref.removeprefix("lex:")
        doc_id, _, name = ref.partition("#")
        doc_id = doc_id or context
        return self.lexicons[doc_id]["defs"][name or "main"], doc_id

    def check(self, value: Any, schema: dict[str, Any], context: str, path: str = "$"
              ) -> list[str]:
        """Problems of ``value`` against ``schema`` (empty when it conforms)."""
        kind = schema.get("type")
        if kind == "ref":
            target, doc = self.definition(schema["ref"], context)
            return self.check(value, target, doc, path)
        if kind == "union":
            if not isinstance(value, dict) or "$type" not in value:
                return [f"{path}: a union member needs $type"]
            wanted = _full(value["$type"], context)
            for ref in schema.get("refs", []):
                if _full(ref, context) == wanted:
                    target, doc = self.definition(ref, context)
                    return self.check(value, target, doc, path)
            return [f"{path}: $type {wanted} not allowed"] if schema.get("closed") else []
        if kind in ("object", "params"):
            if not isinstance(value, dict):
                return [f"{path}: expected an object"]
            problems = [f"{path}.{name}: required" for name in schema.get("required", [])
                        if name not in value]
            for name, sub in (schema.get("properties") or {}).items():
                if name in value and not (value[name] is None
                                          and name in schema.get("nullable", [])):
                    problems += self.check(value[name], sub, context, f"{path}.{name}")
            return problems
        if kind == "array":
            if not isinstance(value, list):
                return [f"{path}: expected an array"]
            problems = []
            if "maxLength" in schema and len(value) > schema["maxLength"]:
                problems.append(f"{path}: more than {schema['maxLength']} items")
            if "minLength" in schema and len(value) < schema["minLength"]:
                problems.append(f"{path}: fewer than {schema['minLength']} items")
            for i, item in enumerate(value):
                problems += self.check(item, schema["items"], context, f"{path}[{i}]")
            return problems
        if kind == "string":
            if not isinstance(value, str):
                return [f"{path}: expected a string"]
            if "maxLength" in schema and len(value.encode()) > schema["maxLength"]:
                return [f"{path}: longer than {schema['maxLength']} bytes"]
            if "maxGraphemes" in schema and len(value) > schema["maxGraphemes"]:
                return [f"{path}: longer than {schema['maxGraphemes']} graphemes"]
            fmt = schema.get("format")
            if fmt == "did" and not value.startswith("did:"):
                return [f"{path}: not a DID"]
            if fmt == "datetime" and not _DATETIME.match(value):
                return [f"{path}: not an RFC 3339 datetime"]
            return []
        if kind == "integer":
            if isinstance(value, bool) or not isinstance(value, int):
                return [f"{path}: expected an integer"]
            if value < schema.get("minimum", value) or value > schema.get("maximum", value):
                return [f"{path}: {value} out of range"]
            return []
        if kind == "boolean":
            return [] if isinstance(value, bool) else [f"{path}: expected a boolean"]
        return []  # unknown, blob, bytes, cid-link, token: not used by these calls

    def params(self, nsid: str, query: dict[str, list[str]]) -> tuple[dict[str, Any], list[str]]:
        """Decode query parameters by the method's ``params`` types, and check them."""
        schema = self.lexicons[nsid]["defs"]["main"].get("parameters") or {"properties": {}}
        values: dict[str, Any] = {}
        problems = [f"?{name}: not a parameter of {nsid}" for name in query
                    if name not in schema["properties"]]
        for name, sub in schema["properties"].items():
            if name not in query:
                continue
            raw = query[name]
            if sub.get("type") == "array":
                values[name] = raw
            elif sub.get("type") == "integer":
                try:
                    values[name] = int(raw[0])
                except ValueError:
                    problems.append(f"?{name}: not an integer")
            else:
                values[name] = raw[0]
        problems += self.check(values, {**schema, "type": "params"}, nsid, "?")
        return values, problems

    def body(self, nsid: str, which: str, value: Any) -> list[str]:
        """Check an ``input`` or ``output`` body of a method."""
        schema = self.lexicons[nsid]["defs"]["main"][which]["schema"]
        return self.check(value, schema, nsid, f"{nsid} {which}")


class ChatServer:
    """The stand-in chat service on 127.0.0.1 (see the module docstring).

    Args:
        pds_url: the local network's PDS, which vouches for the callers' tokens.
    """

    def __init__(self, pds_url: str) -> None:
        self.pds_url = pds_url.rstrip("/")
        self.validator = LexiconValidator(load_lexicons())
        self.violations: list[str] = []
        self.calls: list[tuple[str, str]] = []  # (nsid, caller DID)
        self.convos: dict[str, dict[str, Any]] = {}  # id -> {"members", "rev", "messages"}
        self._lock = threading.RLock()
        self._last_tid = 0
        self._sessions: dict[str, tuple[str, str]] = {}  # token -> (did, scope)
        self._handles: dict[str, str] = {}
        self._http = requests.Session()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> ChatServer:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # --- state -------------------------------------------------------------------------

    def tid(self) -> str:
        """A new timestamp id: 13 base32-sortable characters, always increasing."""
        with self._lock:
            self._last_tid = max(int(time.time() * 1_000_000), self._last_tid + 1)
            n = self._last_tid << 10
        return "".join(_TID_ALPHABET[(n >> (5 * i)) & 31] for i in reversed(range(13)))

    def _profile(self, did: str) -> dict[str, Any]:
        if did not in self._handles:
            r = self._http.get(f"{self.pds_url}/xrpc/com.atproto.repo.describeRepo",
                               params={"repo": did}, timeout=10)
            self._handles[did] = r.json()["handle"] if r.ok else "handle.invalid"
        return {"did": did, "handle": self._handles[did]}

    def _convo_view(self, convo_id: str, viewer: str) -> dict[str, Any]:
        convo = self.convos[convo_id]
        view: dict[str, Any] = {
            "id": convo_id, "rev": convo["rev"], "muted": False, "unreadCount": 0,
            "members": [self._profile(d) for d in convo["members"]],
            "status": "accepted" if viewer in convo["accepted"] else "request",
        }
        if convo["messages"]:
            view["lastMessage"] = {"$type": "chat.bsky.convo.defs#messageView",
                                   **convo["messages"][-1]}
        return view

    def convo_for(self, members: list[str]) -> str:
        """The one direct conversation of these members (created when needed)."""
        wanted = sorted(set(members))
        for convo_id, convo in self.convos.items():
            if convo["members"] == wanted:
                return convo_id
        convo_id = self.tid()
        self.convos[convo_id] = {"members": wanted, "rev": self.tid(), "messages": [],
                                 "accepted": set()}
        return convo_id

    def post(self, convo_id: str, sender: str, message: dict[str, Any]) -> dict[str, Any]:
        """Add a message (``messageInput``) and return its ``messageView``."""
        rev = self.tid()
        view: dict[str, Any] = {"id": self.tid(), "rev": rev, "sender": {"did": sender},
                                "text": message["text"], "reactions": [],
                                "sentAt": _now_iso()}
        if message.get("facets"):
            view["facets"] = message["facets"]
        convo = self.convos[convo_id]
        convo["messages"].append(view)
        convo["rev"] = rev
        convo["accepted"].add(sender)  # writing in a conversation accepts it
        return view

    # --- HTTP --------------------------------------------------------------------------

    def _caller(self, headers: Any) -> tuple[str, str] | tuple[int, dict[str, str]]:
        auth = headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            return 401, {"error": "AuthMissing", "message": "Authentication Required"}
        token = auth.removeprefix("Bearer ")
        if token not in self._sessions:
            r = self._http.get(f"{self.pds_url}/xrpc/com.atproto.server.getSession",
                               headers={"Authorization": auth}, timeout=10)
            if not r.ok:
                return r.status_code, r.json()
            payload = token.split(".")[1]
            claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
            self._sessions[token] = (r.json()["did"], str(claims.get("scope")))
        did, scope = self._sessions[token]
        if scope == "com.atproto.appPass":  # what the PDS answers an app password without DMs
            return 400, {"error": "InvalidToken", "message": "Bad token method"}
        if headers.get("atproto-proxy") != CHAT_PROXY:
            return 400, {"error": "InvalidRequest",
                         "message": f"chat calls need atproto-proxy: {CHAT_PROXY}"}
        return did, scope

    def handle(self, method: str, path: str, query: dict[str, list[str]], headers: Any,
               raw: bytes) -> tuple[int, Any]:
        """Answer one XRPC call: (status, JSON body)."""
        nsid = path.removeprefix("/xrpc/")
        doc = self.validator.lexicons.get(nsid)
        if doc is None or not nsid.startswith("chat.bsky."):
            return 501, {"error": "MethodNotImplemented", "message": f"{nsid} is not served"}
        kind = doc["defs"]["main"]["type"]
        if (kind == "query") != (method == "GET"):
            return 400, {"error": "InvalidRequest", "message": f"wrong method for {nsid}"}
        caller = self._caller(headers)
        if isinstance(caller[0], int):
            return caller  # type: ignore[return-value]
        me = str(caller[0])
        params, problems = self.validator.params(nsid, query)
        body: Any = None
        if kind == "procedure":
            try:
                body = json.loads(raw or b"null")
            except ValueError:
                problems.append("body is not JSON")
            else:
                problems += self.validator.body(nsid, "input", body)
        if problems:
            self.violations += [f"request {nsid}: {p}" for p in problems]
            return 400, {"error": "InvalidRequest", "message": "; ".join(problems)}
        self.calls.append((nsid, me))
        with self._lock:
            status, answer = self._answer(nsid, params, body, me)
        if status == 200:
            out = self.validator.body(nsid, "output", answer)
            self.violations += [f"answer {nsid}: {p}" for p in out]
        return status, answer

    def _answer(self, nsid: str, params: dict[str, Any], body: Any,
                me: str) -> tuple[int, Any]:
        name = nsid.rsplit(".", 1)[-1]
        if name == "listConvos":
            mine = sorted((c for c in self.convos if me in self.convos[c]["members"]),
                          key=lambda c: self.convos[c]["rev"], reverse=True)
            if "cursor" in params:
                mine = [c for c in mine if self.convos[c]["rev"] < params["cursor"]]
            page = mine[:params.get("limit", 50)]
            answer: dict[str, Any] = {"convos": [self._convo_view(c, me) for c in page]}
            if len(page) < len(mine):
                answer["cursor"] = self.convos[page[-1]]["rev"]
            return 200, answer
        if name == "getConvoForMembers":
            convo_id = self.convo_for([me, *params["members"]])
            return 200, {"convo": self._convo_view(convo_id, me)}
        convo_id = params.get("convoId") or (body or {}).get("convoId")
        convo = self.convos.get(str(convo_id))
        if convo is None or me not in convo["members"]:
            return 400, {"error": "InvalidConvo", "message": "Convo not found"}
        if name == "getMessages":
            newest_first = list(reversed(convo["messages"]))
            if "cursor" in params:
                newest_first = [m for m in newest_first if m["rev"] < params["cursor"]]
            page = newest_first[:params.get("limit", 50)]
            answer = {"messages": [{"$type": "chat.bsky.convo.defs#messageView", **m}
                                   for m in page]}
            if len(page) < len(newest_first):
                answer["cursor"] = page[-1]["rev"]
            return 200, answer
        if name == "sendMessage":
            return 200, dict(self.post(str(convo_id), me, body["message"]))
        return 501, {"error": "MethodNotImplemented", "message": f"{nsid} is not served"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                parts = urlsplit(self.path)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = server.handle(self.command, parts.path, parse_qs(parts.query),
                                               self.headers, raw)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _serve

            def log_message(self, *_args: Any) -> None:
                pass

        return Handler


def _full(ref: str, context: str) -> str:
    """``lex:a.b#c``, ``a.b``, ``#c`` as one spelling: ``a.b#c`` (``#main`` when none)."""
    ref = ref.removeprefix("lex:")
    doc, _, name = ref.partition("#")
    return f"{doc or context}#{name or 'main'}"


def _now_iso() -> str:
    now = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"


def shape(value: Any) -> Any:
    """The structure of a JSON value: keys and value types (a list by its first item)."""
    if isinstance(value, dict):
        return {key: shape(v) for key, v in sorted(value.items())}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__


def main() -> None:
    """Run the stand-in as its own process (the bench does): prints its URL, serves until killed.

    Violations go to stderr as they happen.
    """
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pds", required=True, help="the local network's PDS URL")
    args = parser.parse_args()
    with ChatServer(args.pds) as server:
        print(server.url, flush=True)
        reported = 0
        while True:
            time.sleep(0.5)
            for violation in server.violations[reported:]:
                print(f"VIOLATION {violation}", file=sys.stderr, flush=True)
            reported = len(server.violations)


if __name__ == "__main__":
    main()
