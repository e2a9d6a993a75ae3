"""Command line for case logs and reports: ``export``, ``import`` and ``report``.

Wired into ``console/cli.py`` with ``add_parsers(sub)`` and ``run(args, out, err)``.
No Qt here, except that ``export --format pdf`` loads Qt's PDF writer on demand
(headless: it uses the offscreen platform when there is no display).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import sys
from pathlib import Path
from typing import Any, TextIO

from console.core import export as export_mod
from console.core import paths, timeutil
from console.core.errors import KnownError
from console.core.models import CaseStatus
from console.core.store import CaseFilter, Store, View

log = logging.getLogger(__name__)
COMMANDS = ("export", "import", "report")


def add_parsers(sub: Any) -> None:
    """Add the ``export``, ``import`` and ``report`` subcommands to ``sub``."""
    ex = sub.add_parser(
        "export", help="export case logs (json, csv, html, pdf)",
        description="Export cases with their messages and timelines. JSON is lossless and "
                    "can be imported into another workspace; CSV opens safely in a "
                    "spreadsheet; HTML and PDF are printable transcripts. Dates are UTC.")
    ex.add_argument("--format", choices=list(export_mod.FORMATS), default="json",
                    help="json (default), csv (one row per timeline event), csv-messages "
                         "(one row per message), html or pdf")
    which = ex.add_mutually_exclusive_group()
    which.add_argument("--case", dest="cases", type=int, nargs="+", action="extend",
                       metavar="N", help="these cases (repeatable)")
    which.add_argument("--all", action="store_true", help="every case")
    ex.add_argument("--since", metavar="DATE",
                    help="cases with activity on or after DATE (YYYY-MM-DD or ISO 8601)")
    ex.add_argument("--until", metavar="DATE", help="cases opened before DATE")
    ex.add_argument("--view", choices=View.ALL_VIEWS, help="the cases an inbox view shows")
    ex.add_argument("--status", choices=[s.value for s in CaseStatus])
    ex.add_argument("--owner")
    ex.add_argument("--account", help="handle of one of the brand's accounts")
    ex.add_argument("--out", required=True, metavar="PATH", help="the file to write")
    ex.add_argument("--json", action="store_true", help="print the summary as JSON")

    im = sub.add_parser(
        "import", help="import a JSON case log into this workspace",
        description="Merge a case log exported from another workspace: nothing is "
                    "duplicated, importing twice changes nothing, and cases changed in both "
                    "workspaces are reported as conflicts (the local state is kept). The "
                    "workspace is created if it does not exist yet.")
    im.add_argument("path", metavar="PATH")
    im.add_argument("--json", action="store_true", help="print the result as JSON")

    rp = sub.add_parser(
        "report", help="response times, volume, mood and backlog",
        description="First-response and resolution times in each account's business hours, "
                    "volume per account and platform per day, mood per account per day, "
                    "and the backlog by status and age. Dates are UTC.")
    rp.add_argument("--since", metavar="DATE", help="start of the period (default: 30 days ago)")
    rp.add_argument("--until", metavar="DATE", help="end of the period, exclusive "
                                                    "(default: now)")
    rp.add_argument("--days", type=int, default=30, metavar="N",
                    help="length of the period when --since is not given (default: 30)")
    rp.add_argument("--account", action="append", default=[], metavar="HANDLE",
                    help="only this account (repeatable)")
    rp.add_argument("--json", action="store_true", help="print one JSON document")


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None
        ) -> int | None:
    """Run ``export``/``import``/``report``; ``None`` when the command is not one of these."""
    if getattr(args, "command", None) not in COMMANDS:
        return None
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        if args.command == "import":
            return cmd_import(args, out)
        from console.cli import open_store  # late: cli.py imports this module

        with open_store(args) as store:
            if args.command == "export":
                return cmd_export(store, args, out, err)
            return cmd_report(store, args, out)
    except KnownError as exc:
        err.write(f"community-console: error: {exc}\n")
        return 1
    except BrokenPipeError:
        return 0


def parse_date(text: str, *, option: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight UTC) or ISO 8601 with a time (UTC unless it says otherwise).

    Raises:
        KnownError: not a date.
    """
    try:
        return timeutil.parse_iso(text.strip())
    except ValueError as exc:
        raise KnownError(f"{option} {text!r} is not a date like 2026-11-01.") from exc


def selection_from_args(store: Store, args: argparse.Namespace) -> export_mod.Selection:
    flt = None
    if args.view or args.status or args.owner or args.account:
        flt = CaseFilter(view=args.view or View.ALL,
                         status=CaseStatus(args.status) if args.status else None,
                         owner=args.owner,
                         account_id=store.find_account(args.account).id if args.account
                         else None)
    since = parse_date(args.since, option="--since") if args.since else None
    until = parse_date(args.until, option="--until") if args.until else None
    if not (args.cases or args.all or flt or since or until):
        raise KnownError("Say which cases to export: --case N ..., --all, --since DATE, "
                         "or a filter (--view, --status, --owner, --account).")
    return export_mod.Selection(case_ids=tuple(args.cases) if args.cases else None,
                                filter=flt, since=since, until=until)


def cmd_export(store: Store, args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    selection = selection_from_args(store, args)
    target = Path(args.out).expanduser()
    if args.format == "pdf":
        from console.ui import pdf_export  # Qt only for PDF

        summary = pdf_export.export_pdf(store, selection, target)
    else:
        summary = export_mod.export(store, selection, args.format, target)
    if args.json:
        json.dump({"path": str(summary.path), "format": summary.format,
                   "cases": summary.cases, "messages": summary.messages,
                   "events": summary.events, "bytes": summary.bytes}, out, indent=2)
        out.write("\n")
    else:
        out.write(f"Exported {summary.cases} case(s), {summary.messages} message(s) and "
                  f"{summary.events} timeline entries to {summary.path} "
                  f"({summary.bytes / 1024:.0f} KiB, {summary.format}).\n")
    return 0


def cmd_import(args: argparse.Namespace, out: TextIO) -> int:
    from console.core import importer  # here, not above: the window starts through cli.py

    data = importer.load_case_log(args.path)  # check the file before touching a workspace
    if args.demo:
        from console.cli import open_store

        with open_store(args) as store:
            result = importer.import_case_log(store, data, source=Path(args.path).name)
    else:
        store = Store.open(paths.workspace_path(args.workspace, base=args.data_dir))
        try:
            result = importer.import_case_log(store, data, source=Path(args.path).name)
        finally:
            store.close()
    if args.json:
        json.dump(result.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.writelines(line + "\n" for line in result.summary_lines())
    return 0


def cmd_report(store: Store, args: argparse.Namespace, out: TextIO) -> int:
    from console.core import reports  # here, not above: the window starts through cli.py

    until = parse_date(args.until, option="--until") if args.until else timeutil.now()
    if args.since:
        since = parse_date(args.since, option="--since")
    else:
        if args.days < 1:
            raise KnownError("--days must be at least 1.")
        since = until - dt.timedelta(days=args.days)
    account_ids = [store.find_account(h).id for h in args.account] or None
    report = reports.build_report(store, since=since, until=until, account_ids=account_ids)
    if args.json:
        json.dump(report.to_dict(), out, ensure_ascii=False, indent=2)
        out.write("\n")
    else:
        out.write(reports.render_text(report))
    return 0
