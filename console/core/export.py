"""Case-log export: lossless JSON, spreadsheet-safe CSV, self-contained HTML transcripts.

Every writer streams: cases are read a batch at a time and written as they
come, so memory does not grow with the size of the export.  Long exports report
``progress(done, total)`` (in cases) and stop when ``cancelled()`` turns true;
the output goes to a hidden ``.part`` file that is renamed only when complete,
so a cancelled or failed export never leaves a half-written file behind.

The PDF writer needs Qt and lives in ``console/ui/pdf_export.py``; it uses the
same selection, records and transcript as the HTML writer.

Nothing secret is exported: credentials live only in the keyring, which this
module never touches, and account sync state (cursors, errors) is left out.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

from console import __version__
from console.core.errors import KnownError
from console.core.models import CaseStatus
from console.core.rules import FINISHED_STATUSES
from console.core.store import CaseFilter, Store

FORMAT_NAME = "community-console.case-log"
FORMAT_VERSION = 1
SCHEMA_FILE = "schema/case-log.schema.json"

#: Export formats and their file suffix.  ``pdf`` is written by ``ui/pdf_export.py``.
FORMATS: dict[str, str] = {
    "json": ".json",
    "csv": ".csv",  # one row per timeline event
    "csv-messages": ".csv",  # one row per message
    "html": ".html",
    "pdf": ".pdf",
}
FORMAT_LABELS = {
    "json": "JSON case log (lossless, re-importable)",
    "csv": "CSV, one row per timeline event",
    "csv-messages": "CSV, one row per message",
    "html": "HTML transcript (printable)",
    "pdf": "PDF transcript",
}

Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]

PLATFORM_NAMES = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}


class ExportCancelled(KnownError):
    """The user cancelled a running export; nothing was written."""

    def __init__(self) -> None:
        super().__init__("The export was cancelled; no file was written.")


@dataclass(frozen=True)
class Selection:
    """Which cases to export.  The conditions combine; none at all means every case.

    Attributes:
        case_ids: the chosen cases.
        filter: the cases an inbox view shows (with ``search``, only those matching).
        since: cases with activity at or after this time ...
        until: ... and opened before this time.
    """

    case_ids: tuple[int, ...] | None = None
    filter: CaseFilter | None = None
    search: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def describe(self) -> dict[str, Any]:
        """The selection as the JSON file records it."""
        out: dict[str, Any] = {}
        if self.case_ids is not None:
            out["case_ids"] = sorted(self.case_ids)
        if self.filter is not None:
            out["filter"] = {k: v for k, v in asdict(self.filter).items() if v is not None}
        if self.search:
            out["search"] = self.search
        if self.since is not None:
            out["since"] = iso(int(self.since.timestamp()))
        if self.until is not None:
            out["until"] = iso(int(self.until.timestamp()))
        return out or {"all": True}


@dataclass(frozen=True)
class ExportSummary:
    path: Path
    format: str
    cases: int
    messages: int
    events: int
    bytes: int


@dataclass
class Counter:
    cases: int = 0
    messages: int = 0
    events: int = 0


@dataclass
class ExportContext:
    """Accounts and contacts the exported cases refer to, by id."""

    accounts: dict[int, dict[str, Any]] = field(default_factory=dict)
    contacts: dict[int, dict[str, Any]] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)  # "same person" links
    exported_at: int = 0
    exported_by: str = ""

    def account_label(self, account_id: int | None) -> str:
        acc = self.accounts.get(account_id or -1)
        if acc is None:
            return f"account #{account_id}" if account_id is not None else ""
        return f"{acc['handle']} ({PLATFORM_NAMES.get(acc['platform'], acc['platform'])})"

    def contact_name(self, contact_id: int | None) -> str:
        contact = self.contacts.get(contact_id or -1)
        return contact["display_name"] if contact else ""

    def contact_handles(self, contact_id: int | None) -> list[str]:
        seen: set[int] = set()
        while contact_id is not None and contact_id in self.contacts and contact_id not in seen:
            seen.add(contact_id)
            contact = self.contacts[contact_id]
            if contact["handles"] or contact["merged_into"] is None:
                return [h["handle"] for h in contact["handles"]]
            contact_id = contact["merged_into"]
        return []


def iso(epoch: float | None) -> str | None:
    """Epoch seconds as ``2026-11-02T09:00:00Z`` (the store keeps whole seconds)."""
    if epoch is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def readable_time(epoch: int | None) -> str:
    if epoch is None:
        return "—"
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(epoch))


# ------------------------------------------------------------------ reading
def resolve(store: Store, selection: Selection) -> list[int]:
    """The case ids a selection holds (with their merge relatives), in id order."""
    return list(store.export_case_ids(
        case_ids=selection.case_ids, flt=selection.filter, search=selection.search,
        since=selection.since, until=selection.until))


def context(store: Store, case_ids: Sequence[int], *, now: dt.datetime | None = None
            ) -> ExportContext:
    account_ids, contact_ids = store.export_refs(case_ids)
    when = now or dt.datetime.now(dt.UTC)
    contacts = {c["id"]: c for c in store.export_contacts(contact_ids)}
    links = store.export_links(sorted(contacts))
    # Both sides of every link are in the file, so an importer can name them.
    more = {c for link in links for c in (link["keep_contact"], link["other_contact"])}
    if not more <= contacts.keys():
        contacts = {c["id"]: c for c in store.export_contacts(sorted(contacts.keys() | more))}
    return ExportContext(
        accounts={a["id"]: a for a in store.export_accounts(account_ids)},
        contacts=contacts, links=links,
        exported_at=int(when.timestamp()), exported_by=store.me)


def case_records(store: Store, case_ids: Sequence[int], *, progress: Progress | None = None,
                 cancelled: Cancelled | None = None, batch_size: int = 500
                 ) -> Iterator[dict[str, Any]]:
    """Whole cases one by one (see ``Store.export_cases``), reporting progress.

    Raises:
        ExportCancelled: ``cancelled()`` returned true.
    """
    total = len(case_ids)
    done = 0
    if progress is not None:
        progress(0, total)
    for batch in store.export_cases(case_ids, batch_size=batch_size):
        for record in batch:
            if cancelled is not None and cancelled():
                raise ExportCancelled()
            yield record
            done += 1
            if progress is not None:
                progress(done, total)
    if cancelled is not None and cancelled():
        raise ExportCancelled()


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` only on success."""
    path = Path(path)
    if path.is_dir():
        raise KnownError(f"{path} is a folder; give a file name to export to.")
    if not path.parent.is_dir():
        raise KnownError(f"The folder {path.parent} does not exist.")
    part = path.with_name(f".{path.name}.part")
    try:
        yield part
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


# ------------------------------------------------------------------ export
def export(store: Store, selection: Selection, fmt: str, path: str | os.PathLike[str], *,
           progress: Progress | None = None, cancelled: Cancelled | None = None,
           now: dt.datetime | None = None) -> ExportSummary:
    """Export the selected cases to ``path`` in ``fmt`` (json, csv, csv-messages, html).

    Raises:
        KnownError: unknown format, unwritable path, or nothing to export.
        ExportCancelled: the user cancelled (the target file is left as it was).
    """
    writers: dict[str, Callable[..., Counter]] = {
        "json": write_json, "csv": write_csv_events, "csv-messages": write_csv_messages,
        "html": write_html,
    }
    if fmt == "pdf":
        raise KnownError("PDF export needs the window's toolkit: use console.ui.pdf_export.")
    if fmt not in writers:
        raise KnownError(f"Unknown export format {fmt!r}; choose one of "
                         f"{', '.join(FORMATS)}.")
    target = Path(path)
    case_ids = resolve(store, selection)
    if not case_ids:
        raise KnownError("No case matches this selection; nothing was exported.")
    ctx = context(store, case_ids, now=now)
    with atomic_output(target) as part:
        encoding = "utf-8-sig" if fmt.startswith("csv") else "utf-8"
        newline = "" if fmt.startswith("csv") else "\n"
        try:
            with part.open("w", encoding=encoding, newline=newline) as fh:
                counts = writers[fmt](store, case_ids, ctx, fh, selection=selection,
                                      progress=progress, cancelled=cancelled)
        except OSError as exc:
            raise KnownError(f"Cannot write {target}: {exc.strerror or exc}.") from exc
    return ExportSummary(path=target, format=fmt, cases=counts.cases,
                         messages=counts.messages, events=counts.events,
                         bytes=target.stat().st_size)


# --------------------------------------------------------------------- JSON
def case_json(record: dict[str, Any]) -> dict[str, Any]:
    """One case as the JSON log holds it: store columns, times as ISO 8601 UTC."""
    out = dict(record)
    for key in ("opened_at", "last_activity_at", "last_inbound_at", "waiting_since",
                "snoozed_until", "followup_due_at"):
        out[key] = iso(out[key])
    out["messages"] = [{**m, "created_at": iso(m["created_at"])} for m in record["messages"]]
    out["timeline"] = [{**e, "at": iso(e["at"])} for e in record["timeline"]]
    out["notes"] = [{**n, "created_at": iso(n["created_at"])} for n in record["notes"]]
    out["checklist"] = [{**i, "done_at": iso(i["done_at"]), "created_at": iso(i["created_at"])}
                        for i in record["checklist"]]
    out["replies"] = [{**r, **{k: iso(r[k]) for k in ("created_at", "updated_at", "approved_at",
                                                       "sent_at")}}
                      for r in record["replies"]]
    return out


def write_json(store: Store, case_ids: Sequence[int], ctx: ExportContext, fh: IO[str], *,
               selection: Selection, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> Counter:
    """The lossless, versioned case log (schema: resources/schema/case-log.schema.json).

    Ids are the source workspace's; every id inside the file (in ``detail``
    too) refers to an entity of the same file, so an importer can remap them.
    One case per line keeps the file streamable and diff-friendly.
    """
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    head = {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generator": f"community-console {__version__}",
        "exported_at": iso(ctx.exported_at),
        "exported_by": ctx.exported_by,
        "selection": selection.describe(),
        "accounts": [{**a, "created_at": iso(a["created_at"])}
                     for a in ctx.accounts.values()],
        "contacts": [{**c, "created_at": iso(c["created_at"])}
                     for c in ctx.contacts.values()],
        "links": [{**link, "linked_at": iso(link["linked_at"]),
                   "unlinked_at": iso(link["unlinked_at"])} for link in ctx.links],
    }
    text = json.dumps(head, ensure_ascii=False, indent=1)
    fh.write(text[:-2] + ',\n "cases": [\n')  # reopen the object after the last member
    counts = Counter()
    for record in case_records(store, case_ids, progress=progress, cancelled=cancelled):
        fh.write((",\n" if counts.cases else "") + dumps(case_json(record)))
        counts.cases += 1
        counts.messages += len(record["messages"])
        counts.events += len(record["timeline"])
    fh.write('\n ],\n "summary": ' + dumps(
        {"cases": counts.cases, "messages": counts.messages, "events": counts.events})
        + "\n}\n")
    return counts


# ---------------------------------------------------------------------- CSV
#: OWASP CSV injection: a cell starting with one of these is a formula (or
#: starts one) in Excel, LibreOffice and Google Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Neutralise a spreadsheet formula: prefix such a text cell with an apostrophe.

    Numbers we produce ourselves (ids, sentiment scores) stay numbers: a
    negative score is data, not a formula.  ``None`` becomes an empty cell.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_PREFIXES) else value
    return value


EVENT_COLUMNS = (
    "case_id", "case_status", "case_owner", "contact_name", "contact_handles", "event_id",
    "at", "actor", "kind", "description", "before", "after", "message_direction",
    "message_account", "message_author", "message_author_name", "message_text", "detail",
)
MESSAGE_COLUMNS = (
    "case_id", "case_status", "case_owner", "contact_name", "message_id", "created_at",
    "direction", "kind", "platform", "account", "author_handle", "author_name", "text", "url",
    "in_reply_to", "sentiment",
)


def write_csv_events(store: Store, case_ids: Sequence[int], ctx: ExportContext, fh: IO[str],
                     *, selection: Selection, progress: Progress | None = None,
                     cancelled: Cancelled | None = None) -> Counter:
    """One row per timeline event; message events carry the message itself."""
    writer = csv.writer(fh)
    writer.writerow(EVENT_COLUMNS)
    counts = Counter()
    for record in case_records(store, case_ids, progress=progress, cancelled=cancelled):
        messages = {m["id"]: m for m in record["messages"]}
        name = ctx.contact_name(record["contact_id"])
        handles = " ".join(ctx.contact_handles(record["contact_id"]))
        rows = []
        for event in record["timeline"]:
            message = messages.get(event["detail"].get("message_id")) \
                if event["kind"] in ("message_in", "message_out") else None
            rows.append([csv_safe(v) for v in (
                record["id"], record["status"], record["owner"], name, handles, event["id"],
                iso(event["at"]), event["actor"], event["kind"], describe_event(event),
                event["before"], event["after"],
                message["direction"] if message else None,
                ctx.account_label(message["account_id"]) if message else None,
                message["author_handle"] if message else None,
                message["author_name"] if message else None,
                message["text"] if message else None,
                json.dumps(event["detail"], ensure_ascii=False, sort_keys=True)
                if event["detail"] else None,
            )])
        writer.writerows(rows)
        counts.cases += 1
        counts.messages += len(messages)
        counts.events += len(rows)
    return counts


def write_csv_messages(store: Store, case_ids: Sequence[int], ctx: ExportContext,
                       fh: IO[str], *, selection: Selection, progress: Progress | None = None,
                       cancelled: Cancelled | None = None) -> Counter:
    """One row per message (inbound and the brand's replies), oldest first per case."""
    writer = csv.writer(fh)
    writer.writerow(MESSAGE_COLUMNS)
    counts = Counter()
    for record in case_records(store, case_ids, progress=progress, cancelled=cancelled):
        name = ctx.contact_name(record["contact_id"])
        writer.writerows([csv_safe(v) for v in (
            record["id"], record["status"], record["owner"], name, m["id"],
            iso(m["created_at"]), m["direction"], m["kind"], m["platform"],
            ctx.accounts.get(m["account_id"], {}).get("handle", ""), m["author_handle"],
            m["author_name"], m["text"], m["url"], m["in_reply_to"], m["sentiment"],
        )] for m in record["messages"])
        counts.cases += 1
        counts.messages += len(record["messages"])
        counts.events += len(record["timeline"])
    return counts


# --------------------------------------------------------------- transcript
@dataclass(frozen=True)
class Entry:
    """One line of a readable transcript (plain text; renderers escape it)."""

    at: int
    kind: str  # "in", "out" (messages) or "event"
    heading: str
    text: str = ""


@dataclass(frozen=True)
class Transcript:
    title: str
    facts: tuple[tuple[str, str], ...]
    issues: tuple[tuple[bool, str], ...]
    entries: tuple[Entry, ...]


def describe_event(event: dict[str, Any]) -> str:
    """A timeline entry in words (the case panel's wording)."""
    k = event["kind"]
    detail = event["detail"] or {}
    before, after = event["before"], event["after"]
    if k == "opened":
        return "Case opened" + (f" (owner {detail['owner']})" if detail.get("owner") else "")
    if k == "message_in":
        return "Customer message received"
    if k == "message_out":
        return "Reply sent"
    if k == "status":
        labels = {s.value: s.label.lower() for s in CaseStatus}
        text = f"Status {labels.get(before, before)} → {labels.get(after, after)}"
        return text + (f" ({detail['reason']})" if detail.get("reason") else "")
    if k == "assign":
        return f"Owner {before} → {after}"
    if k == "note":
        return f"Note: {after}"
    if k == "issue_added":
        return f"Issue added: {after}"
    if k == "issue_ticked":
        return f"Issue answered: {detail.get('text', '')}"
    if k == "issue_unticked":
        return f"Issue reopened: {detail.get('text', '')}"
    if k == "issue_renamed":
        return f"Issue renamed: {before} → {after}"
    if k == "issue_deleted":
        return f"Issue deleted: {before}"
    if k == "undo":
        return f"Undone: {after}" if after else "Undone"
    if k == "merged":
        if "into_case" in detail:
            return f"Merged into case #{detail['into_case']}"
        return f"Case #{detail.get('from_case')} merged in"
    if k == "contact_merged":
        return f"Contact #{before} merged into #{after}"
    if k == "snoozed":
        return f"Snoozed until {after}" if after else "Snoozed"
    if k == "snooze_ended":
        return "Snooze ended" + (f" ({detail['reason']})" if detail.get("reason") else "")
    if k == "followup_due":
        return "Follow-up due"
    if k == "import_conflict":
        return (f"Import conflict on {detail.get('field', '?')}: kept {before!r}, "
                f"the imported log had {after!r}")
    return str(k).replace("_", " ").capitalize() + (f": {after}" if after else "")


def transcript(record: dict[str, Any], ctx: ExportContext) -> Transcript:
    """A case as a readable transcript: facts, issues, then messages and events in order."""
    messages = {m["id"]: m for m in record["messages"]}
    name = ctx.contact_name(record["contact_id"]) or "Unknown customer"
    handles = ctx.contact_handles(record["contact_id"])
    first_response = next((e["at"] for e in record["timeline"] if e["kind"] == "message_out"),
                          None)
    resolved = None
    if record["status"] in FINISHED_STATUSES:
        resolved = max((e["at"] for e in record["timeline"] if e["kind"] == "status"
                        and e["after"] in FINISHED_STATUSES), default=None)
    status = CaseStatus(record["status"]).label
    if record["merged_into"]:
        status += f" (merged into case #{record['merged_into']})"
    facts = (
        ("Customer", f"{name} ({', '.join(handles)})" if handles else name),
        ("Status", status),
        ("Owner", record["owner"]),
        ("Accounts", ", ".join(ctx.account_label(a) for a in record["account_ids"]) or "—"),
        ("Opened", readable_time(record["opened_at"])),
        ("First response", readable_time(first_response)),
        ("Resolved", readable_time(resolved)),
        ("Messages", str(len(record["messages"]))),
    )
    entries: list[Entry] = []
    shown: set[int] = set()
    for event in record["timeline"]:
        kind = event["kind"]
        message = messages.get(event["detail"].get("message_id")) \
            if kind in ("message_in", "message_out") else None
        if message is not None:
            shown.add(message["id"])
            entries.append(_message_entry(message, ctx, actor=event["actor"]))
        elif kind in ("message_in", "message_out"):
            entries.append(Entry(event["at"], "event", f"{readable_time(event['at'])} · "
                                 f"{describe_event(event)} (the message is in another case)"))
        else:
            entries.append(Entry(event["at"], "event",
                                 f"{readable_time(event['at'])} · {event['actor']}",
                                 describe_event(event)))
    # Messages without an arrival entry (merged in from another case) still show.
    for message in record["messages"]:
        if message["id"] not in shown:
            entries.append(_message_entry(message, ctx, actor=None))
    entries.sort(key=lambda e: e.at)  # stable: timeline order within a second
    return Transcript(
        title=f"Case #{record['id']} · {name}", facts=facts,
        issues=tuple((bool(i["done"]), i["text"]) for i in record["checklist"]),
        entries=tuple(entries))


def _message_entry(m: dict[str, Any], ctx: ExportContext, *, actor: str | None) -> Entry:
    who = m["author_name"] or m["author_handle"]
    if m["direction"] == "in":
        heading = (f"{readable_time(m['created_at'])} · {who} ({m['author_handle']}) → "
                   f"{ctx.account_label(m['account_id'])} · {m['kind']}")
    else:
        by = f" by {actor}" if actor and actor != who else ""
        heading = (f"{readable_time(m['created_at'])} · {ctx.account_label(m['account_id'])} "
                   f"replied ({who}{by})")
    if m["url"]:
        heading += f" · {m['url']}"
    return Entry(m["created_at"], m["direction"], heading, m["text"])


# --------------------------------------------------------------------- HTML
HTML_STYLE = """
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       margin: 2em auto; max-width: 52em; padding: 0 1em; }
header.export { color: #555; border-bottom: 1px solid #ccc; padding-bottom: .5em; }
article.case { margin: 2.5em 0; }
h1 { font-size: 1.35em; margin: 0 0 .4em; }
h2 { font-size: 1.05em; margin: 1.2em 0 .4em; color: #333; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .15em 1em; margin: 0; }
dl.facts dt { color: #555; } dl.facts dd { margin: 0; }
ul.issues { padding-left: 1.2em; } ul.issues li.done { color: #2e7d32; }
div.entry { margin: .45em 0; padding: .4em .7em; border-radius: 6px; break-inside: avoid; }
div.entry.in { background: #f1f3f6; border-left: 3px solid #7a8699; }
div.entry.out { background: #eaf4ec; border-left: 3px solid #3f8f55; margin-left: 2em; }
div.entry.event { color: #555; font-size: .92em; padding: .15em .7em; }
div.meta { font-size: .85em; color: #555; }
div.text { white-space: pre-wrap; overflow-wrap: anywhere; }
@page { margin: 16mm; }
@media print {
  body { margin: 0; max-width: none; }
  article.case + article.case { break-before: page; }
  div.entry { background: none; }
}
"""


def render_case_html(t: Transcript) -> str:
    """One case's transcript as an HTML ``<article>``; every text is escaped."""
    e = html.escape
    parts = [f'<article class="case">\n<h1>{e(t.title)}</h1>\n<dl class="facts">']
    parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in t.facts]
    parts.append("</dl>")
    if t.issues:
        parts.append('<h2>Issues</h2>\n<ul class="issues">')
        parts += [f'<li class="{"done" if done else "open"}">{"☑" if done else "☐"} {e(text)}'
                  "</li>" for done, text in t.issues]
        parts.append("</ul>")
    parts.append("<h2>Timeline</h2>")
    for entry in t.entries:
        body = f'<div class="text">{e(entry.text)}</div>' if entry.text else ""
        parts.append(f'<div class="entry {entry.kind}"><div class="meta">{e(entry.heading)}'
                     f"</div>{body}</div>")
    parts.append("</article>\n")
    return "\n".join(parts)


def write_html(store: Store, case_ids: Sequence[int], ctx: ExportContext, fh: IO[str], *,
               selection: Selection, progress: Progress | None = None,
               cancelled: Cancelled | None = None) -> Counter:
    """A self-contained transcript: inline CSS, no script, nothing loaded from outside.

    A Content-Security-Policy of ``default-src 'none'`` makes the browser refuse
    any outside load even if a future change slipped one in.
    """
    title = f"Case log: {len(case_ids)} case(s)"
    fh.write(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" "
        "content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
        "<meta name=\"referrer\" content=\"no-referrer\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        f"<title>{html.escape(title)}</title>\n<style>{HTML_STYLE}</style>\n</head>\n<body>\n"
        f'<header class="export">{html.escape(title)} · exported '
        f"{html.escape(readable_time(ctx.exported_at))} by {html.escape(ctx.exported_by)}"
        "</header>\n")
    counts = Counter()
    for record in case_records(store, case_ids, progress=progress, cancelled=cancelled):
        fh.write(render_case_html(transcript(record, ctx)))
        counts.cases += 1
        counts.messages += len(record["messages"])
        counts.events += len(record["timeline"])
    fh.write("</body>\n</html>\n")
    return counts
