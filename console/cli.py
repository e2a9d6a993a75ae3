"""The command line: the same entry point as the window, for scripts and headless checks.

No Qt here: ``community-console cases list`` works on a server without a screen.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from console import __version__, cli_export
from console.core import demo, paths, timeutil
from console.core.errors import KnownError
from console.core.ids import CaseId
from console.core.models import CaseRow, CaseStatus
from console.core.store import CaseFilter, Store, View

if TYPE_CHECKING:  # imported where used: keyring loads only for commands that need it
    from console.core.secrets import SecretStore

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="community-console",
        description="Community Console: one inbox for all of a brand's social accounts. "
                    "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation: open the window offscreen on a throwaway "
                             "demo workspace, check the store and resources, print a report; "
                             "exit 1 on a problem")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder holding the workspaces (default: the user data folder); "
                             "with --demo, where the throwaway demo copy is made")
    parser.add_argument("--demo", action="store_true",
                        help="work on a fresh throwaway copy of the bundled demo workspace "
                             "(removed at exit)")
    parser.add_argument("--workspace", default="default", metavar="NAME",
                        help="workspace name inside the data folder (default: %(default)s)")
    parser.add_argument("--server", metavar="URL", dest="team_server",
                        help="work on a team workspace on a PostgreSQL server, e.g. "
                             "postgresql://priya@db.example:5432/brand?sslmode=verify-full "
                             "(the password comes from the keyring: `server password`)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ws = sub.add_parser("workspace", help="move a workspace to the team server and back")
    ws_sub = ws.add_subparsers(dest="workspace_command", metavar="push|pull", required=True)
    ws_sub.add_parser("push", help="copy this laptop workspace (--workspace, or --demo) to an "
                                   "empty team server (--server URL); run again to resume")
    ws_sub.add_parser("pull", help="copy the team server's workspace (--server URL) into a new "
                                   "laptop workspace (--workspace NAME); run again to resume")

    srv = sub.add_parser("server", help="the team server (--server URL)")
    srv_sub = srv.add_subparsers(dest="server_command", metavar="password|check|member",
                                 required=True)
    srv_sub.add_parser("password", help="keep the password for --server URL in the keyring "
                                        "(read from a pipe or a prompt that does not echo)")
    srv_sub.add_parser("check", help="connect to --server URL, set up or upgrade its schema, "
                                     "and say what is there")
    sma = srv_sub.add_parser("member", help="make a PostgreSQL login role a team member "
                                            "(run as the workspace's owner)")
    sma.add_argument("role", help="the member's PostgreSQL login role")
    sma.add_argument("name", help="their name on the team roster")
    sma.add_argument("--may-reassign", action="store_true",
                     help="may hand cases to others (else only take cases themselves)")

    sub.add_parser("init", help="create a new empty workspace (--data-dir, --workspace) "
                                "without opening the window; never overwrites one")

    cases = sub.add_parser("cases", help="list cases")
    cases_sub = cases.add_subparsers(dest="cases_command", metavar="list", required=True)
    cl = cases_sub.add_parser("list", help="list cases in waiting order")
    cl.add_argument("--status", choices=[s.value for s in CaseStatus])
    cl.add_argument("--owner")
    cl.add_argument("--account", help="handle of one of the brand's accounts")
    cl.add_argument("--view", choices=View.ALL_VIEWS, default=View.ALL)
    cl.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    cl.add_argument("--json", action="store_true", help="print one JSON document")

    case = sub.add_parser("case", help="one case: show it, or triage it as the window does")
    case_sub = case.add_subparsers(dest="case_command",
                                   metavar="show|status|assign|note|issue|undo", required=True)
    cs = case_sub.add_parser("show", help="a case with its timeline")
    cs.add_argument("case_id", type=int, metavar="N")
    cs.add_argument("--json", action="store_true")
    cst = case_sub.add_parser("status", help="resolve, wait on the customer or reopen a case "
                                             "(undo: case undo N)")
    cst.add_argument("case_id", type=int, metavar="N")
    cst.add_argument("status", choices=["resolved", "waiting", "open"])
    cst.add_argument("--json", action="store_true")
    cas = case_sub.add_parser("assign", help="give a case to someone on the team roster")
    cas.add_argument("case_id", type=int, metavar="N")
    cas.add_argument("--to", required=True, metavar="NAME",
                     help="a name on the team roster (settings get team.roster)")
    cas.add_argument("--json", action="store_true")
    cn = case_sub.add_parser("note", help="add a private note to a case")
    cn.add_argument("case_id", type=int, metavar="N")
    cn.add_argument("text", metavar="TEXT")
    cn.add_argument("--json", action="store_true")
    ci = case_sub.add_parser("issue", help="the case's issue checklist: add, tick, rename, "
                                           "delete (items numbered as case show lists them)")
    ci.add_argument("case_id", type=int, metavar="N")
    ci.add_argument("action", choices=["add", "tick", "untick", "rename", "delete"])
    ci.add_argument("words", nargs="*", metavar="ITEM|TEXT",
                    help="add TEXT; tick/untick/delete ITEM; rename ITEM TEXT")
    ci.add_argument("--json", action="store_true")
    cu = case_sub.add_parser("undo", help="undo the case's latest status, owner or snooze "
                                          "change (recorded in its timeline)")
    cu.add_argument("case_id", type=int, metavar="N")
    cu.add_argument("--json", action="store_true")

    st = sub.add_parser("settings", help="the workspace's settings, typed (see README)")
    st_sub = st.add_subparsers(dest="settings_command", metavar="list|get|set", required=True)
    stl = st_sub.add_parser("list", help="every setting with its value")
    stl.add_argument("--json", action="store_true")
    stg = st_sub.add_parser("get", help="one setting's value")
    stg.add_argument("name")
    stg.add_argument("--json", action="store_true")
    sts = st_sub.add_parser("set", help="set a setting (lists: comma-separated or JSON; roster "
                                        "and hours: JSON)")
    sts.add_argument("name")
    sts.add_argument("value")
    sts.add_argument("--json", action="store_true")

    search = sub.add_parser(
        "search", help="search messages, newest first: words by prefix (cafe finds Café, "
                       "refund finds refunded), emoji and CJK/Thai anywhere in the text")
    search.add_argument("query")
    pages = search.add_mutually_exclusive_group()
    pages.add_argument("--limit", type=int, default=50,
                       help="messages per page (default 50); the next page: --before ID")
    pages.add_argument("--all", action="store_true",
                       help="every match, streamed a page at a time (no cap)")
    search.add_argument("--before", type=int, metavar="ID",
                        help="the page after the message ID a previous page ended on")
    search.add_argument("--json", action="store_true")
    vc = sub.add_parser("voice-check", help="check a draft (read from stdin) against a voice "
                                            "profile; exit 1 when an error finding stands")
    vc.add_argument("--profile", required=True, help="voice profile name (see: profiles list)")
    vc.add_argument("--platform", choices=["mastodon", "bluesky", "x"], default="mastodon")
    vc.add_argument("--reply-to", metavar="TEXT", help="the customer's message being answered")
    vc.add_argument("--template", metavar="ID", help="slug of the template the draft started from")
    vc.add_argument("--issue", action="append", default=[], metavar="TEXT",
                    help="an open checklist issue the reply should address (repeatable)")
    vc.add_argument("--initials", help="the agent's initials, for the sign-off")
    vc.add_argument("--dm", action="store_true", help="the reply is a direct message")
    for what in ("phone", "name", "address", "domain"):
        vc.add_argument(f"--brand-{what}", action="append", default=[], metavar="TEXT",
                        help=f"one of the brand's own {what}s (repeatable; as the brand.{what}s "
                             "setting)")
    vc.add_argument("--json", action="store_true")

    acc = sub.add_parser("accounts", help="the brand's accounts (credentials go to the keyring)")
    acc_sub = acc.add_subparsers(dest="accounts_command", metavar="add|list|remove",
                                 required=True)
    aa = acc_sub.add_parser(
        "add", help="add and verify an account; credentials go only to the keyring",
        description="Mastodon and X: sign in in a browser (the address to open is printed; "
                    "the browser comes back to this computer, or paste the code or the "
                    "address it ended on). Bluesky: the handle, and an app password on stdin "
                    "or at a prompt; the server is found from the handle.")
    aa.add_argument("platform", choices=["mastodon", "bluesky", "x"])
    aa.add_argument("--handle", help="the account's handle (Bluesky: required; Mastodon and "
                                     "X: taken from the sign-in)")
    aa.add_argument("--server", help="Mastodon: the instance (required); Bluesky: the PDS "
                                     "(default: found from the handle); X: the API base URL")
    aa.add_argument("--client-id", help="X: the OAuth 2.0 client ID of your X app (default: "
                                        "$COMMUNITY_CONSOLE_X_CLIENT_ID)")
    aa.add_argument("--paste", action="store_true",
                    help="the browser runs on another machine: do not listen on 127.0.0.1, "
                         "read the code (Mastodon shows it) or the address from stdin")
    aa.add_argument("--token", action="store_true",
                    help="Mastodon/X: read an existing access token from stdin instead of "
                         "signing in (Mastodon: Preferences > Development)")
    aa.add_argument("--profile", help="voice profile for replies from this account")
    aa.add_argument("--role", default="", help="e.g. support or marketing")
    al = acc_sub.add_parser("list", help="the accounts and their sync state")
    al.add_argument("--json", action="store_true")
    ar = acc_sub.add_parser("remove", help="remove an account's credentials (and the account "
                                           "itself when it has no history)")
    ar.add_argument("handle")

    sy = sub.add_parser("sync", help="fetch new messages (progress on stderr; exit 1 if an "
                                     "account failed)")
    sy.add_argument("--account", metavar="H", help="only this account")

    rp = sub.add_parser("reply", help="draft (and approve) a reply to a case, with the voice "
                                      "checks")
    rp.add_argument("case_id", type=int, metavar="CASE")
    rp.add_argument("--text", required=True)
    rp.add_argument("--account", metavar="H", help="reply from this account (default: the one "
                                                   "the customer wrote to)")
    rp.add_argument("--approve", action="store_true", help="put it in the outbox")
    rp.add_argument("--override", metavar="REASON",
                    help="approve despite warnings, with this reason (goes into the timeline); "
                         "errors (over the platform's limit, private data, a leftover "
                         "variable) cannot be overridden")
    rp.add_argument("--json", action="store_true")

    ob = sub.add_parser("outbox", help="replies approved for sending")
    ob_sub = ob.add_subparsers(dest="outbox_command", metavar="list|send", required=True)
    obl = ob_sub.add_parser("list")
    obl.add_argument("--json", action="store_true")
    ob_sub.add_parser("send", help="send every approved reply, in order within each case")

    tl = sub.add_parser("templates", help="reply templates")
    tl_sub = tl.add_subparsers(dest="templates_command", metavar="list", required=True)
    tll = tl_sub.add_parser("list", help="the bundled templates")
    tll.add_argument("--json", action="store_true")

    pl = sub.add_parser("profiles", help="voice profiles")
    pl_sub = pl.add_subparsers(dest="profiles_command", metavar="list", required=True)
    pll = pl_sub.add_parser("list", help="the voice profiles available")
    pll.add_argument("--json", action="store_true")
    ct = sub.add_parser("contacts", help="one customer across platforms: link and unlink "
                                         "their handles, see suggested links")
    ct_sub = ct.add_subparsers(dest="contacts_command", required=True, metavar="ACTION")
    ctl = ct_sub.add_parser("list", help="customers linked across handles, and suggested links")
    ctl.add_argument("--json", action="store_true", help="print one JSON document")
    ctk = ct_sub.add_parser(
        "link", help="say OTHER is the same person as HANDLE: one customer, their open cases "
                     "merged (HANDLE's case is kept); prints how to undo")
    ctk.add_argument("handle", metavar="HANDLE", help="a handle, or platform:handle")
    ctk.add_argument("other", metavar="OTHER", help="the other handle, or platform:handle")
    ctk.add_argument("--json", action="store_true")
    ctu = ct_sub.add_parser(
        "unlink", help="undo a link: the handle, its messages and cases go back to their own "
                       "customer")
    ctu.add_argument("handle", metavar="HANDLE", nargs="?",
                     help="a handle that was linked (platform:handle)")
    ctu.add_argument("--link", type=int, metavar="ID", help="the link's id (from contacts list)")
    ctu.add_argument("--json", action="store_true")
    cli_export.add_parsers(sub)
    return parser


def create_demo_copy(data_dir: str | Path | None) -> Path:
    """A fresh throwaway demo workspace: in its own folder under ``data_dir`` when given
    (the caller removes ``path.parent``), else in the system's temporary folder."""
    folder = None
    if data_dir:
        base = Path(data_dir).expanduser()
        try:
            base.mkdir(parents=True, exist_ok=True)
            folder = Path(tempfile.mkdtemp(prefix="community-console-demo-", dir=base))
        except OSError as exc:
            raise KnownError(f"Cannot make the demo copy in {base}: {exc.strerror or exc}.") \
                from exc
    return demo.create_demo_workspace(folder, scorer=default_scorer())


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Create a new empty workspace, as the window's first start does; never overwrite one."""
    if args.demo:
        raise KnownError("init makes a new empty workspace; --demo always works on a "
                         "throwaway copy of the demo workspace (nothing to create).")
    path = paths.workspace_path(args.workspace, base=args.data_dir)
    if path.exists():
        raise KnownError(f"There is already a workspace at {path}; init never overwrites one. "
                         "Pick another --workspace NAME or --data-dir DIR.")
    Store.open(path).close()  # creates the file and its schema
    out.write(f"Created an empty workspace at {path}.\n"
              "Next: community-console accounts add ... (see --help), then sync.\n")
    return 0


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Store]:
    """The workspace the arguments name; a throwaway demo copy with ``--demo``."""
    if getattr(args, "team_server", None):
        if args.demo:
            raise KnownError("--demo and --server cannot be used together: the demo is a "
                             "throwaway laptop workspace.")
        store = Store.connect(args.team_server, password=team_password(args.team_server))
        try:
            yield store
        finally:
            store.close()
        return
    if args.demo:
        path = create_demo_copy(args.data_dir)
        store = Store.open(path)
        try:
            yield store
        finally:
            store.close()
            shutil.rmtree(path.parent, ignore_errors=True)
        return
    path = paths.workspace_path(args.workspace, base=args.data_dir)
    creating = args.command == "accounts" and getattr(args, "accounts_command", "") == "add"
    if not path.exists() and not creating:
        raise KnownError(
            f"There is no workspace at {path}. Create it with `community-console init` "
            "(or start the app once), or use --demo to try the bundled demo workspace.")
    store = Store.open(path)
    try:
        yield store
    finally:
        store.close()


def default_scorer() -> Any:
    """The sentiment scorer used on ingest: compound score, or None for 'unknown'."""
    from console.core import sentiment

    # Callable per message, and ``.many`` for a whole ingest batch (score_many).
    return sentiment.IngestScorer()


def case_json(store: Store, rows: Sequence[CaseRow]) -> list[dict[str, Any]]:
    ids = [r.id for r in rows]
    times = store.case_times(ids)
    accounts = store.case_accounts(ids)
    return [{
        "id": r.id,
        "status": r.status.value,
        "owner": r.owner,
        "contact": {"id": r.contact_id, "name": r.contact_name, "handle": r.contact_handle},
        "accounts": accounts.get(r.id, []),
        "platforms": list(r.platforms),
        "opened_at": timeutil.iso(r.opened_at),
        "first_response_at": timeutil.iso(times[r.id][0]),
        "resolved_at": timeutil.iso(times[r.id][1]),
        "waiting_since": timeutil.iso(r.waiting_since),
        "last_activity_at": timeutil.iso(r.last_activity_at),
        "message_count": r.message_count,
        "sentiment": r.sentiment,
        "preview": r.preview,
    } for r in rows]


def cmd_cases_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    account_id = store.find_account(args.account).id if args.account else None
    flt = CaseFilter(view=args.view, status=CaseStatus(args.status) if args.status else None,
                     owner=args.owner, account_id=account_id)
    rows: list[CaseRow] = []
    after = None
    while True:
        page = store.cases_page(flt, after=after, limit=500)
        rows += page
        if len(page) < 500 or (args.limit and len(rows) >= args.limit):
            break
        after = page[-1].sort_key
    if args.limit:
        rows = rows[:args.limit]
    if args.json:
        json.dump(case_json(store, rows), out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    now = timeutil.now()
    out.write(f"{'ID':>5}  {'STATUS':<9} {'WAITING':>8}  {'OWNER':<14} {'CONTACT':<24} PREVIEW\n")
    for r in rows:
        waited = timeutil.humanize_duration((now - r.waiting_since).total_seconds()) \
            if r.waiting_since else "-"
        preview = " ".join(r.preview.split())[:60]
        out.write(f"{r.id:>5}  {r.status.value:<9} {waited:>8}  {r.owner[:14]:<14} "
                  f"{r.contact_name[:24]:<24} {preview}\n")
    out.write(f"{len(rows)} case(s)\n")
    return 0


def cmd_case_show(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    detail = store.case_detail(args.case_id)
    (summary,) = case_json(store, [detail.case])
    if args.json:
        summary["handles"] = [{"platform": p, "handle": h} for p, h in detail.handles]
        summary["messages"] = [{
            "id": m.id, "direction": m.direction.value, "kind": m.kind.value,
            "account": m.account_handle, "platform": m.platform.value,
            "author": m.author_handle, "author_name": m.author_name, "text": m.text,
            "created_at": timeutil.iso(m.created_at), "url": m.url, "sentiment": m.sentiment,
        } for m in detail.messages]
        summary["timeline"] = [{
            "id": e.id, "at": timeutil.iso(e.at), "actor": e.actor, "kind": e.kind,
            "before": e.before, "after": e.after, "detail": e.detail,
        } for e in detail.events]
        summary["notes"] = [{"author": n.author, "body": n.body,
                             "created_at": timeutil.iso(n.created_at)} for n in detail.notes]
        summary["checklist"] = [{"id": i.id, "text": i.text, "done": i.done}
                                for i in detail.checklist]
        json.dump(summary, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    c = detail.case
    out.write(f"Case #{c.id}: {c.contact_name} ({', '.join(h for _, h in detail.handles)})\n")
    out.write(f"Status: {c.status.label}   Owner: {c.owner}   "
              f"Accounts: {', '.join(summary['accounts'])}\n")
    out.write(f"Opened: {summary['opened_at']}   First response: "
              f"{summary['first_response_at'] or '-'}   Resolved: {summary['resolved_at'] or '-'}\n")
    if detail.checklist:
        out.write("Issues:\n")
        for n, item in enumerate(detail.checklist, start=1):
            out.write(f"  {n}. [{'x' if item.done else ' '}] {item.text}\n")
    messages = {m.id: m for m in detail.messages}
    out.write("Timeline:\n")
    for e in detail.events:
        when = timeutil.iso(e.at)
        if e.kind in ("message_in", "message_out") and e.detail.get("message_id") in messages:
            m = messages[e.detail["message_id"]]
            arrow = "<-" if e.kind == "message_in" else "->"
            out.write(f"  {when} {arrow} {m.author_handle} via {m.account_handle}: {m.text}\n")
        elif e.kind == "status":
            out.write(f"  {when} status {e.before} -> {e.after} by {e.actor}\n")
        elif e.kind == "assign":
            out.write(f"  {when} owner {e.before} -> {e.after} by {e.actor}\n")
        elif e.kind == "note":
            out.write(f"  {when} note by {e.actor}: {e.after}\n")
        else:
            out.write(f"  {when} {e.kind} by {e.actor}"
                      + (f": {e.after}" if e.after else "") + "\n")
    return 0


def cmd_search(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    """Matching messages, newest first; one page (``--limit``/``--before``) or all, streamed."""
    if args.limit < 1:
        raise KnownError("--limit must be at least 1 (or use --all).")
    page_size = 1000 if args.all else args.limit
    before = args.before
    count = 0
    more = False
    if args.json:
        out.write("[")
    while True:
        hits = store.search(args.query, limit=page_size + (0 if args.all else 1),
                            before=before)
        if not args.all and len(hits) > page_size:
            hits, more = hits[:page_size], True
        for h in hits:
            if args.json:
                out.write(",\n" if count else "\n")
                out.write(_indented(json.dumps({
                    "message_id": h.message.id, "case_id": h.case_id,
                    "author": h.message.author_handle, "account": h.message.account_handle,
                    "text": h.message.text, "created_at": timeutil.iso(h.message.created_at),
                }, ensure_ascii=False, indent=2)))
            else:
                text = " ".join(h.message.text.split())[:100]
                out.write(f"case #{h.case_id}  {h.message.author_handle}: {text}\n")
            count += 1
        out.flush()
        if not args.all or len(hits) < page_size:
            break
        before = hits[-1].message.id
    if args.json:
        out.write("\n]\n" if count else "]\n")
        return 0
    out.write(f"{count} message(s)")
    if more:
        out.write(f"; more with --before {hits[-1].message.id} (or --all)")
    out.write("\n")
    return 0


def _indented(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())


def cmd_voice_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core import replying, voice

    profiles = replying.load_profiles(Path(args.data_dir) if args.data_dir else None)
    if args.profile not in profiles:
        raise KnownError(f"There is no voice profile {args.profile!r}; "
                         f"available: {', '.join(sorted(profiles))}.")
    template_body = None
    if args.template:
        found = {t.slug: t for t in replying.builtin_templates()}
        if args.template not in found:
            raise KnownError(f"There is no template {args.template!r} (see: templates list).")
        template_body = found[args.template].body
    text = sys.stdin.read()
    if text.endswith("\n"):
        text = text[:-1]
    if template_body is not None:
        template_body = replying.template_reference(template_body, text)
    context = voice.CheckContext(
        platform=args.platform, reply_to=args.reply_to, open_issues=tuple(args.issue),
        template_body=template_body, public=not args.dm, agent_initials=args.initials,
        brand_phones=tuple(args.brand_phone), brand_names=tuple(args.brand_name),
        brand_addresses=tuple(args.brand_address), brand_domains=tuple(args.brand_domain))
    findings = voice.check(text, profiles[args.profile], context=context)
    if args.json:
        json.dump([f.to_dict() for f in findings], out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        for f in findings:
            fix = f"  (fix: {f.fix.label})" if f.fix else ""
            out.write(f"{f.severity:<10} {f.kind:<18} {f.start}-{f.end}  {f.message}{fix}\n")
        out.write(f"{len(findings)} finding(s)\n")
    return 1 if any(f.blocks for f in findings) else 0


def cmd_templates_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core import replying, templates

    items = replying.builtin_templates()
    if args.json:
        json.dump([{"id": t.slug, "title": t.title, "category": t.category,
                    "platforms": list(t.platforms), "tags": list(t.tags),
                    "variables": sorted(templates.variables(t.body)), "body": t.body.strip()}
                   for t in items], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for t in items:
        out.write(f"{t.slug:<32} {t.category:<12} {t.title}\n")
    return 0


def cmd_profiles_list(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core import replying

    profiles = replying.load_profiles(Path(args.data_dir) if args.data_dir else None)
    if args.json:
        json.dump([{"name": name, "title": p.title, "description": p.description,
                    "source": str(replying.profile_source(
                        name, Path(args.data_dir) if args.data_dir else None))}
                   for name, p in sorted(profiles.items())], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for name, p in sorted(profiles.items()):
        out.write(f"{name:<12} {p.title}\n")
    return 0


def secret_store() -> SecretStore:
    from console.core.secrets import KeyringSecretStore

    store = KeyringSecretStore()
    store.check()
    return store


def team_password(url: str) -> str | None:
    """The team server's password from the keyring (``None``: none kept, e.g. TLS
    certificates or a local trust login); never from the address or the database."""
    from console.core.store.pg import password_key

    try:
        return secret_store().get(password_key(url))
    except KnownError:
        return None


def cmd_server_password(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core.store.pg import password_key, redact

    if not args.team_server:
        raise KnownError("Say which server: community-console --server URL server password")
    if redact(args.team_server) != args.team_server:
        raise KnownError("Leave the password out of the address: it would end up in shell "
                         "history. This command asks for it and keeps it in the keyring.")
    secret = read_secret(err)
    secret_store().set(password_key(args.team_server), secret)
    out.write(f"password for {args.team_server} kept in the keyring\n")
    return 0


def _transfer_progress(err: TextIO) -> Any:
    from console.core.store.transfer import TransferProgress

    def progress(p: TransferProgress) -> None:
        if p.read >= p.total or p.read % 10000 == 0:
            err.write(f"  {p.table}: {p.read:,} of {p.total:,}"
                      + (f" ({p.read - p.rows:,} there already)" if p.read > p.rows else "")
                      + "\n")
    return progress


def cmd_workspace_push(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core.store.transfer import copy_workspace_rows

    if not args.team_server:
        raise KnownError("Say which server: community-console --server URL workspace push")
    server_url = args.team_server
    args.team_server = None  # the source is the laptop workspace the other options name
    with open_store(args) as source:
        target = Store.connect(server_url, password=team_password(server_url))
        try:
            copied = copy_workspace_rows(source, target, progress=_transfer_progress(err))
        finally:
            target.close()
    out.write(f"pushed to {redact_url(server_url)}: {sum(copied.values()):,} row(s) copied\n")
    return 0


def cmd_workspace_pull(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from console.core.store.transfer import copy_workspace_rows

    if not args.team_server or args.demo:
        raise KnownError("Pull needs --server URL and a laptop --workspace NAME (not --demo).")
    path = paths.workspace_path(args.workspace, base=args.data_dir)
    source = Store.connect(args.team_server, password=team_password(args.team_server))
    try:
        target = Store.open(path)
        try:
            copied = copy_workspace_rows(source, target, progress=_transfer_progress(err))
        finally:
            target.close()
    finally:
        source.close()
    out.write(f"pulled into {path}: {sum(copied.values()):,} row(s) copied\n")
    return 0


def redact_url(url: str) -> str:
    from console.core.store.pg import redact

    return redact(url)


def cmd_server_member(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    store.add_team_member(args.role, args.name, may_reassign=args.may_reassign)
    out.write(f"{args.role} is {args.name} on the team"
              + (", and may hand cases to others" if args.may_reassign else "") + "\n")
    return 0


def cmd_server_check(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    out.write(f"{store.server}: schema {', '.join(store.schema_version())}; "
              f"{store.case_count()} case(s), {store.message_count()} message(s)\n")
    return 0


def read_secret(err: TextIO) -> str:
    """The account's token or app password: from a pipe, or a prompt that does not echo."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("Token or app password (not shown, stored only in the "
                               "keyring): ")
    return sys.stdin.readline().strip()


def sign_in_interactively(sign_in: Any, out: TextIO, err: TextIO,
                          stdin: TextIO | None = None) -> Any:
    """Print the address to open, then take whichever comes first: the browser coming
    back to the loopback listener, or a code (or address) typed or piped on stdin."""
    import queue
    import threading

    stdin = stdin or sys.stdin
    out.write("Open this address in a browser and approve Community Console:\n\n"
              f"  {sign_in.authorize_url}\n\n")
    out.flush()
    if sign_in.listening:
        err.write("Waiting for the browser to come back to this computer. If the browser "
                  "runs elsewhere, paste the address it ended on (or the code) here and "
                  "press Enter.\n")
    else:
        err.write("Paste the code the page shows (or the address the browser ended on) and "
                  "press Enter:\n")
    err.flush()
    events: queue.Queue[tuple[str, Any, BaseException | None]] = queue.Queue()

    def wait() -> None:
        try:
            events.put(("browser", sign_in.wait(), None))
        except BaseException as exc:  # handed to the main thread
            events.put(("browser", None, exc))

    def read() -> None:
        events.put(("pasted", stdin.readline(), None))

    if sign_in.listening:
        threading.Thread(target=wait, name="sign-in-wait", daemon=True).start()
    # A daemon thread: if the browser wins, the pending read is simply abandoned.
    threading.Thread(target=read, name="sign-in-read", daemon=True).start()
    while True:
        kind, value, exc = events.get()
        if kind == "browser":
            if exc is not None:
                raise exc  # denied in the browser, or nothing came back in time
            return value
        if value.strip():
            return sign_in.finish_pasted(value)
        if not sign_in.listening:
            raise KnownError("No code given: paste the code or the address the browser ended "
                             "on.")
        # stdin is closed or empty: keep waiting for the browser only.


def cmd_accounts_add(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import make_connector, secret_key
    from console.core.secrets import MemorySecretStore

    if args.platform in ("mastodon", "x") and not args.token:
        return _add_by_sign_in(store, args, out)
    if not args.handle:
        raise KnownError("Give the account's --handle.")
    secret = read_secret(sys.stderr)
    if not secret:
        raise KnownError("No token or app password given (pipe it on stdin or type it at the "
                         "prompt).")
    keyring_store = secret_store()
    key = secret_key(args.platform, args.handle)
    # Verify with the secret held in memory; only a working secret reaches the keyring.
    probe = MemorySecretStore({key: secret})
    connector = make_connector(args.platform, handle=args.handle, server=args.server,
                               secrets=probe)
    info = connector.verify()
    keyring_store.set(key, secret)
    handle = args.handle
    # What the account cannot do (a Bluesky app password without DM access), said once here.
    notes = "".join(f"Note: {note}\n" for note in info.notes)
    try:
        existing = store.find_account(handle)
        out.write(f"Credentials for {existing.handle} updated.\n{notes}")
        return 0
    except KnownError:
        pass
    store.add_account(platform=args.platform, handle=handle, display_name=info.display_name,
                      server=info.server or args.server, role=args.role,
                      voice_profile=args.profile)
    out.write(f"Added {handle} on {args.platform} ({info.display_name or info.handle}).\n"
              f"{notes}")
    return 0


def _add_by_sign_in(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import save_sign_in, start_sign_in

    keyring_store = secret_store()  # fail before the browser step, not after it
    sign_in = start_sign_in(args.platform, server=args.server, client_id=args.client_id,
                            loopback=not args.paste)
    try:
        result = sign_in_interactively(sign_in, out, sys.stderr)
    finally:
        sign_in.cancel()
    save_sign_in(result, keyring_store)
    if args.handle and args.handle.lstrip("@").lower() != result.handle.lstrip("@").lower():
        out.write(f"Note: signed in as {result.handle}, not {args.handle}.\n")
    try:
        existing = store.find_account(result.handle)
        out.write(f"Signed in again as {existing.handle}.\n")
        return 0
    except KnownError:
        pass
    store.add_account(platform=args.platform, handle=result.handle,
                      display_name=result.display_name, server=result.server, role=args.role,
                      voice_profile=args.profile)
    out.write(f"Added {result.handle} on {args.platform} ({result.display_name}).\n")
    return 0


def cmd_accounts_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import credential_state

    status = store.sync_status()
    counts = store.unanswered_counts()
    accounts = store.accounts()
    sign_in: dict[Any, str | None] = {a.id: None for a in accounts}
    if accounts and not store.get_setting("workspace.demo"):
        try:
            secrets = secret_store()
            sign_in = {a.id: credential_state(a.platform, a.handle, secrets) for a in accounts}
        except KnownError as exc:  # no keyring here: list the accounts anyway
            sys.stderr.write(f"community-console: warning: {exc}\n")
    rows = []
    for a in accounts:
        last, error = status.get(a.id, (None, None))
        rows.append({"id": a.id, "platform": a.platform.value, "handle": a.handle,
                     "display_name": a.display_name, "server": a.server, "role": a.role,
                     "voice_profile": a.voice_profile, "timezone": a.timezone,
                     "unanswered": counts.get(a.id, 0), "last_sync_at": timeutil.iso(last),
                     "last_error": error, "sign_in": sign_in[a.id]})
    if args.json:
        json.dump(rows, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in rows:
        state = r["last_error"] or (f"synced {r['last_sync_at']}" if r["last_sync_at"]
                                    else "never synced")
        if r["sign_in"] == "reconnect":
            state = f"RECONNECT (community-console accounts add {r['platform']}): {state}"
        elif r["sign_in"] == "missing":
            state = f"no credentials in the keyring: {state}"
        out.write(f"{r['platform']:<9} {r['handle']:<36} {r['unanswered']:>4} waiting  "
                  f"{state}\n")
    return 0


def cmd_accounts_remove(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import forget_account

    account = store.find_account(args.handle)
    try:
        # Revokes a signed-in token and deletes every keyring entry of the account (its
        # Bluesky session token too: left behind it would keep the account signed in).
        for warning in forget_account(account.platform, account.handle, account.server,
                                      secret_store()):
            sys.stderr.write(f"community-console: warning: {warning}\n")
    except KnownError as exc:
        sys.stderr.write(f"community-console: warning: {exc}\n")
    try:
        store.remove_account(account.id)
        out.write(f"Removed {account.handle}.\n")
    except KnownError as exc:
        out.write(f"Removed the credentials of {account.handle}. {exc}\n")
    return 0


def cmd_sync(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import make_connector
    from console.sync import engine

    demo = bool(store.get_setting("workspace.demo"))
    # The demo workspace's own accounts are fictional (nothing to sync); a real account
    # added to it syncs like anywhere else.
    accounts = [store.find_account(args.account)] if args.account else [
        a for a in store.accounts() if not engine.sends_locally(a, demo_workspace=demo)]
    secrets = secret_store()
    scorer = default_scorer()
    failed = 0

    def connect(account: Any) -> Any:
        return make_connector(account.platform, handle=account.handle, server=account.server,
                              secrets=secrets)

    def progress(o: engine.AccountSync) -> None:
        sys.stderr.write(f"{o.account.handle}: page {o.pages}, {o.fetched} fetched, "
                         f"{o.new_messages} new\n")

    for account in accounts:
        outcome = engine.sync_account(store, account, connect, scorer=scorer, progress=progress)
        if outcome.ok:
            sys.stderr.write(f"{account.handle}: done, {outcome.new_messages} new message(s)\n")
        else:
            failed += 1
            sys.stderr.write(f"{account.handle}: FAILED: {outcome.error}\n")
    out.write(f"{len(accounts) - failed} of {len(accounts)} account(s) synced\n")
    return 1 if failed else 0


def cmd_reply(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core import replying, voice

    detail = store.case_detail(args.case_id)
    target = replying.reply_target(detail)
    if target is None:
        raise KnownError(f"Case #{args.case_id} has no customer message to answer.")
    account = store.find_account(args.account) if args.account else store.account(
        target.account_id)
    profile = replying.profile_for(account, replying.load_profiles(
        Path(args.data_dir) if args.data_dir else None))
    context = replying.check_context(
        detail=detail, account=account, brand=replying.brand_allowlists(store.get_setting),
        initials=store.get_setting("user.initials") or None)
    findings = voice.check(args.text, profile, context=context)
    draft = store.open_draft(detail.case.id)
    reply_id, _ = store.save_draft(detail.case.id, account_id=account.id, body=args.text,
                                   reply_id=draft.id if draft else None,
                                   in_reply_to_message_id=target.id)
    errors = [f for f in findings if f.blocks]
    state = "draft"
    refused = False
    if args.approve:
        if errors:
            refused = True  # errors are facts, never overridden (see the severity policy)
        else:
            store.approve_reply(reply_id, findings=[f.to_dict() for f in findings],
                                override_reason=args.override)
            state = "approved"
    if args.json:
        json.dump({"reply_id": reply_id, "state": state,
                   "findings": [f.to_dict() for f in findings]}, out, ensure_ascii=False,
                  indent=2)
        out.write("\n")
    else:
        for f in findings:
            out.write(f"{f.severity:<10} {f.kind:<18} {f.message}\n")
        out.write(f"Reply #{reply_id} is {state}.\n")
    if refused:
        sys.stderr.write(f"community-console: error: {len(errors)} error finding(s) block "
                         "approval; errors cannot be overridden: fix them (only warnings "
                         "take --override REASON).\n")
        return 1
    return 0


def cmd_outbox_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core.models import ReplyState

    replies = store.replies([ReplyState.APPROVED, ReplyState.SENDING, ReplyState.FAILED])
    if args.json:
        json.dump([{"id": r.id, "case_id": r.case_id, "account": r.account_handle,
                    "state": r.state.value, "text": r.body, "error": r.error,
                    "attempts": r.attempts, "override_reason": r.override_reason,
                    "findings": list(r.findings)} for r in replies],
                  out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for r in replies:
        out.write(f"#{r.id:<5} case #{r.case_id:<5} {r.state.value:<9} {r.account_handle:<30} "
                  f"{' '.join(r.body.split())[:60]}" + (f"  ({r.error})" if r.error else "")
                  + "\n")
    out.write(f"{len(replies)} reply(ies)\n")
    return 0


def cmd_outbox_send(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.connectors.registry import make_connector
    from console.sync import engine

    # The demo's own accounts send locally and never ask for credentials; a real account
    # (in the demo workspace too) opens the keyring when its first reply goes out.
    secrets: list[Any] = []

    def connectors(account: Any) -> Any:
        if not secrets:
            secrets.append(secret_store())
        return make_connector(account.platform, handle=account.handle, server=account.server,
                              secrets=secrets[0])

    def progress(o: engine.SendOutcome) -> None:
        what = "sent" if o.sent and not o.reconciled else "already posted" if o.sent \
            else "being sent by a teammate's app" if o.busy_elsewhere \
            else f"not sent: {o.error}"
        sys.stderr.write(f"reply #{o.reply_id} (case #{o.case_id}): {what}\n")

    outcomes = engine.send_outbox(store, connectors, progress=progress)
    sent = sum(1 for o in outcomes if o.sent)
    elsewhere = sum(1 for o in outcomes if o.busy_elsewhere)
    out.write(f"{sent} of {len(outcomes)} reply(ies) sent"
              + (f" ({elsewhere} being sent by a teammate's app)" if elsewhere else "") + "\n")
    return 0 if sent + elsewhere == len(outcomes) else 1


def _handles(handles: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{p}:{h}" for p, h in handles]


def _contact_json(c: Any) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "handles": _handles(c.handles), "case_id": c.case_id,
            "links": [{"id": link.id, "handles": _handles(link.handles), "actor": link.actor,
                       "linked_at": timeutil.iso(link.linked_at)} for link in c.links]}


def cmd_contacts_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    linked = store.linked_contacts()
    suggestions = store.link_suggestions()
    if args.json:
        json.dump({"linked": [_contact_json(c) for c in linked],
                   "suggestions": [{"handles": list(s.pair), "reason": s.reason}
                                   for s in suggestions]}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    out.write(f"{len(linked)} customer(s) linked across handles\n")
    for c in linked:
        out.write(f"  #{c.id} {c.name}: {', '.join(_handles(c.handles))}"
                  + (f" (case #{c.case_id})" if c.case_id else "") + "\n")
        for link in c.links:
            out.write(f"      link #{link.id}: {', '.join(_handles(link.handles))} "
                      f"by {link.actor}, {timeutil.iso(link.linked_at)}\n")
    out.write(f"{len(suggestions)} suggested link(s)\n")
    for s in suggestions:
        out.write(f"  {s.pair[0]} = {s.pair[1]}: {s.reason}\n"
                  f"      link: community-console contacts link {s.pair[0]} {s.pair[1]}\n")
    return 0


def cmd_contacts_link(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    keep = store.contact_by_handle(args.handle)
    other = store.contact_by_handle(args.other)
    moved = store.contact_summary(other).handles
    link_id, _ = store.link_contacts(keep, other)
    summary = store.contact_summary(keep)
    undo = f"community-console contacts unlink --link {link_id}"
    if args.json:
        json.dump({"link_id": link_id, "contact": _contact_json(summary), "undo": undo},
                  out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    out.write(f"Linked {', '.join(_handles(moved))} to {summary.name} (link #{link_id}); "
              f"handles now: {', '.join(_handles(summary.handles))}"
              + (f"; current case #{summary.case_id}" if summary.case_id else "") + ".\n")
    out.write(f"Undo: {undo}\n")
    return 0


def cmd_contacts_unlink(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    if (args.link is None) == (args.handle is None):
        raise KnownError("Name the handle to unlink, or the link with --link ID.")
    if args.link is not None:
        link = store.contact_link(args.link)
    else:
        platform, _, handle = args.handle.partition(":")
        if not handle:
            contact = store.contact_summary(store.contact_by_handle(args.handle))
            platform, handle = next((p, h) for p, h in contact.handles
                                    if h.lstrip("@").casefold()
                                    == args.handle.lstrip("@").casefold())
        link = store.link_of_handle(platform, handle)
    store.unlink_contacts(link.id)
    keep = store.contact_summary(link.keep_contact)
    other = store.contact_summary(link.other_contact)
    first = _handles(keep.handles)[0] if keep.handles else ""
    undo = f"community-console contacts link {first} {_handles(other.handles)[0]}"
    if args.json:
        json.dump({"link_id": link.id, "contacts": [_contact_json(keep), _contact_json(other)],
                   "undo": undo}, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for c in (keep, other):
        out.write(f"#{c.id} {c.name}: {', '.join(_handles(c.handles))}"
                  + (f" (case #{c.case_id})" if c.case_id else "") + "\n")
    out.write(f"Unlinked (link #{link.id}). Undo: {undo}\n")
    return 0


NO_STORE = {
    ("init", None): cmd_init,
    ("server", "password"): cmd_server_password,
    ("workspace", "push"): cmd_workspace_push,
    ("workspace", "pull"): cmd_workspace_pull,
    ("voice-check", None): cmd_voice_check,
    ("templates", "list"): cmd_templates_list,
    ("profiles", "list"): cmd_profiles_list,
}

def _triage_done(store: Store, case_id: int, args: argparse.Namespace, out: TextIO,
                 said: str, **extra: Any) -> int:
    row = store.case_row(CaseId(case_id))
    if args.json:
        json.dump({"case_id": case_id, "status": row.status.value, "owner": row.owner,
                   "waiting_since": timeutil.iso(row.waiting_since),
                   "undo": store.last_undoable(CaseId(case_id)), **extra},
                  out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(f"Case #{case_id}: {said}\n")
    return 0


def cmd_case_status(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    case_id = CaseId(args.case_id)
    before = store.case_row(case_id)
    store.set_status(case_id, CaseStatus(args.status), actor=store.me)
    said = f"{before.status.label.lower()} -> {CaseStatus(args.status).label.lower()}."
    if args.status != "open" and before.waiting_since is not None:
        said += " The customer is still waiting for a reply."
    return _triage_done(store, case_id, args, out, said + f" Undo: case undo {case_id}")


def cmd_case_assign(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    case_id = CaseId(args.case_id)
    store.assign(case_id, args.to, actor=store.me)
    return _triage_done(store, case_id, args, out,
                        f"owner is now {store.case_row(case_id).owner}. "
                        f"Undo: case undo {case_id}")


def cmd_case_note(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    case_id = CaseId(args.case_id)
    note_id, _ = store.add_note(case_id, args.text, actor=store.me)
    return _triage_done(store, case_id, args, out, f"note #{note_id} added.", note_id=note_id)


def cmd_case_issue(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    case_id = CaseId(args.case_id)
    items = store.case_detail(case_id).checklist
    words = list(args.words)
    if args.action == "add":
        text = " ".join(words)
        item_id, _ = store.add_issue(case_id, text, actor=store.me)
        return _triage_done(store, case_id, args, out, f"issue added: {text}", item_id=item_id)
    if not words or not words[0].isdigit() or not 1 <= int(words[0]) <= len(items):
        raise KnownError(f"Name the checklist item by its number, 1 to {len(items)} "
                         f"(case show {case_id} lists them)." if items else
                         f"Case #{case_id} has no checklist items.")
    item = items[int(words[0]) - 1]
    if args.action in ("tick", "untick"):
        store.set_issue_done(item.id, args.action == "tick", actor=store.me)
        said = f"issue {words[0]} {'ticked' if args.action == 'tick' else 'unticked'}."
    elif args.action == "rename":
        text = " ".join(words[1:])
        store.rename_issue(item.id, text, actor=store.me)
        said = f"issue {words[0]} renamed to {' '.join(text.split())}."
    else:
        store.delete_issue(item.id, actor=store.me)
        said = f"issue {words[0]} ({item.text}) deleted."
    return _triage_done(store, case_id, args, out, said, item_id=item.id)


def cmd_case_undo(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    case_id = CaseId(args.case_id)
    what, _ = store.undo(case_id, actor=store.me)
    return _triage_done(store, case_id, args, out, f"undone: {what}.", undone=what)


def cmd_settings_list(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core import settings as settings_mod

    values = {s.name: store.get_setting(s.name) for s in settings_mod.SETTINGS}
    if args.json:
        json.dump(values, out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for name, value in values.items():
        out.write(f"{name:<26} {settings_mod.show(value)}\n")
    return 0


def cmd_settings_get(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core import settings as settings_mod

    settings_mod.lookup(args.name)
    value = store.get_setting(args.name)
    if args.json:
        json.dump(value, out, ensure_ascii=False, indent=2)
    else:
        out.write(settings_mod.show(value))
    out.write("\n")
    return 0


def cmd_settings_set(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core import settings as settings_mod

    store.set_setting(args.name, settings_mod.parse(args.name, args.value))
    return cmd_settings_get(store, args, out)


COMMANDS = {
    ("server", "check"): cmd_server_check,
    ("server", "member"): cmd_server_member,
    ("case", "status"): cmd_case_status,
    ("case", "assign"): cmd_case_assign,
    ("case", "note"): cmd_case_note,
    ("case", "issue"): cmd_case_issue,
    ("case", "undo"): cmd_case_undo,
    ("settings", "list"): cmd_settings_list,
    ("settings", "get"): cmd_settings_get,
    ("settings", "set"): cmd_settings_set,
    ("accounts", "add"): cmd_accounts_add,
    ("accounts", "list"): cmd_accounts_list,
    ("accounts", "remove"): cmd_accounts_remove,
    ("sync", None): cmd_sync,
    ("reply", None): cmd_reply,
    ("outbox", "list"): cmd_outbox_list,
    ("outbox", "send"): cmd_outbox_send,
    ("cases", "list"): cmd_cases_list,
    ("case", "show"): cmd_case_show,
    ("search", None): cmd_search,
    ("contacts", "list"): cmd_contacts_list,
    ("contacts", "link"): cmd_contacts_link,
    ("contacts", "unlink"): cmd_contacts_unlink,
}


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed subcommand; errors go to ``err`` with a non-zero exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    if (handled := cli_export.run(args, out, err)) is not None:
        return handled
    sub = next((getattr(args, name) for name in (
        "cases_command", "case_command", "templates_command", "profiles_command",
        "accounts_command", "outbox_command", "settings_command", "contacts_command",
        "server_command", "workspace_command")
        if getattr(args, name, None)), None)
    try:
        if (args.command, sub) in NO_STORE:
            return NO_STORE[(args.command, sub)](args, out, err)
        handler = COMMANDS[(args.command, sub)]
        with open_store(args) as store:
            return handler(store, args, out)
    except KnownError as exc:
        err.write(f"community-console: error: {exc}\n")
        return 1
    except BrokenPipeError:  # `| head` closed the pipe: not an error worth a traceback
        return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if args.self_test:
        from console.ui.selftest import run_self_test  # Qt is imported only here

        return run_self_test()
    if args.command is None:
        from console.ui.app import run_gui  # only the window needs Qt

        return run_gui(args)
    return run(args)

