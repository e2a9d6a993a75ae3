"""The command line: the same entry point as the window, for scripts and headless checks.

No Qt here: ``community-console cases list`` works on a server without a screen.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from console import __version__
from console.core import demo, paths, timeutil
from console.core.errors import KnownError
from console.core.models import CaseRow, CaseStatus
from console.core.store import CaseFilter, Store, View

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="community-console",
        description="Community Console: one inbox for all of a brand's social accounts. "
                    "With no command, opens the window.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--data-dir", metavar="DIR",
                       help="folder holding the workspaces (default: the user data folder)")
    where.add_argument("--demo", action="store_true",
                       help="work on a fresh throwaway copy of the bundled demo workspace")
    parser.add_argument("--workspace", default="default", metavar="NAME",
                        help="workspace name inside the data folder (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    cases = sub.add_parser("cases", help="list cases")
    cases_sub = cases.add_subparsers(dest="cases_command", metavar="list", required=True)
    cl = cases_sub.add_parser("list", help="list cases in waiting order")
    cl.add_argument("--status", choices=[s.value for s in CaseStatus])
    cl.add_argument("--owner")
    cl.add_argument("--account", help="handle of one of the brand's accounts")
    cl.add_argument("--view", choices=View.ALL_VIEWS, default=View.ALL)
    cl.add_argument("--limit", type=int, default=0, help="at most this many (0: all)")
    cl.add_argument("--json", action="store_true", help="print one JSON document")

    case = sub.add_parser("case", help="one case")
    case_sub = case.add_subparsers(dest="case_command", metavar="show", required=True)
    cs = case_sub.add_parser("show", help="a case with its timeline")
    cs.add_argument("case_id", type=int, metavar="N")
    cs.add_argument("--json", action="store_true")

    search = sub.add_parser("search", help="full-text search over messages")
    search.add_argument("query")
    search.add_argument("--limit", type=int, default=50)
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
    vc.add_argument("--json", action="store_true")

    tl = sub.add_parser("templates", help="reply templates")
    tl_sub = tl.add_subparsers(dest="templates_command", metavar="list", required=True)
    tll = tl_sub.add_parser("list", help="the bundled templates")
    tll.add_argument("--json", action="store_true")

    pl = sub.add_parser("profiles", help="voice profiles")
    pl_sub = pl.add_subparsers(dest="profiles_command", metavar="list", required=True)
    pll = pl_sub.add_parser("list", help="the voice profiles available")
    pll.add_argument("--json", action="store_true")
    return parser


@contextmanager
def open_store(args: argparse.Namespace) -> Iterator[Store]:
    """The workspace the arguments name; a throwaway demo copy with ``--demo``."""
    if args.demo:
        path = demo.create_demo_workspace(scorer=default_scorer())
        store = Store.open(path)
        try:
            yield store
        finally:
            store.close()
            shutil.rmtree(path.parent, ignore_errors=True)
        return
    path = paths.workspace_path(args.workspace, base=args.data_dir)
    if not path.exists():
        raise KnownError(
            f"There is no workspace at {path}. Start the app once to create it, "
            "or use --demo to try the bundled demo workspace.")
    store = Store.open(path)
    try:
        yield store
    finally:
        store.close()


def default_scorer() -> Any:
    """The sentiment scorer used on ingest: compound score, or None for 'unknown'."""
    from console.core import sentiment

    def score(text: str) -> float | None:
        return sentiment.score(text).compound

    return score


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
        for item in detail.checklist:
            out.write(f"  [{'x' if item.done else ' '}] {item.text}\n")
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
    hits = store.search(args.query, limit=args.limit)
    if args.json:
        json.dump([{
            "message_id": h.message.id, "case_id": h.case_id, "author": h.message.author_handle,
            "account": h.message.account_handle, "text": h.message.text,
            "created_at": timeutil.iso(h.message.created_at),
        } for h in hits], out, ensure_ascii=False, indent=2)
        out.write("\n")
        return 0
    for h in hits:
        text = " ".join(h.message.text.split())[:100]
        out.write(f"case #{h.case_id}  {h.message.author_handle}: {text}\n")
    out.write(f"{len(hits)} message(s)\n")
    return 0


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
        template_body=template_body, public=not args.dm, agent_initials=args.initials)
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


NO_STORE = {
    ("voice-check", None): cmd_voice_check,
    ("templates", "list"): cmd_templates_list,
    ("profiles", "list"): cmd_profiles_list,
}

COMMANDS = {
    ("cases", "list"): cmd_cases_list,
    ("case", "show"): cmd_case_show,
    ("search", None): cmd_search,
}


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run a parsed subcommand; errors go to ``err`` with a non-zero exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    sub = (getattr(args, "cases_command", None) or getattr(args, "case_command", None)
           or getattr(args, "templates_command", None) or getattr(args, "profiles_command", None))
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
    if args.command is None:
        from console.ui.app import run_gui  # only the window needs Qt

        return run_gui(args)
    return run(args)

