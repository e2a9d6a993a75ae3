"""Import a JSON case log into this workspace: merge without duplicates, report conflicts.

This is how a case changes hands: a colleague exports it (``core/export.py``)
and the new owner imports it.  Nothing needs a shared id, so no schema change:

- accounts match by (platform, handle); missing ones are created without
  credentials (the user adds those in the accounts dialog);
- contacts match by any of their (platform, handle); a contact merged into
  another follows it;
- "same person" links (``links``) are made here too, each side named by its
  handles, with the link's time and actor (so the next import finds it again);
  never between two contacts this workspace keeps apart: a link between them was
  undone here, or a suggestion to link them was dismissed (that is reported);
- messages match by (account, remote id), the platform's own identity;
- a case matches the local case whose *first arrival* in the timeline is the
  same message (that entry never changes, even after merges); failing that,
  the case that holds most of its messages;
- notes match by (author, text, time), checklist items by text, replies by
  idempotency key, timeline entries by their whole content (time, actor, kind,
  before, after, detail) once the file's ids are mapped to local ones.

Anything the workspace lacks is added; the timeline stays append-only.  So
importing the same file twice changes nothing the second time.

State (status, owner, ticked issues) merges like a version-control
fast-forward.  If the file brings history the workspace lacks and the
workspace has none the file lacks, the file's state is taken.  If both sides
have new history, each field changed on one side only takes that side's value;
a field changed on both sides to different values is a **conflict**: the local
value is kept, the conflict is returned in ``ImportResult.conflicts`` and
written to the case's timeline (``import_conflict``), never silently
overwritten.  Queued replies come in as drafts, so nothing imported is sent
without review in this workspace.
"""

from __future__ import annotations

import json
import os
from collections import Counter as Multiset
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from console.core import timeutil
from console.core.caselog_stream import CaseLogSyntaxError, StreamedArray, read_case_log
from console.core.changes import Changes
from console.core.errors import KnownError
from console.core.export import FORMAT_NAME, FORMAT_VERSION
from console.core.ids import CaseId, ContactId, MessageId
from console.core.models import CaseStatus, Direction, MessageKind, Platform, ReplyState
from console.core.store import Store

#: Keys of a timeline entry's ``detail`` that hold ids, and what they point at.
ID_KEYS = {
    "message_id": "messages", "account_id": "accounts", "note_id": "notes",
    "item_id": "issues", "reply_id": "replies", "into_case": "cases", "from_case": "cases",
    "link_id": "links", "keep_contact": "contacts", "other_contact": "contacts",
}
OPEN = (CaseStatus.NEW.value, CaseStatus.OPEN.value)


class InvalidCaseLogError(KnownError):
    """The file is not a case log this version can read."""


@dataclass(frozen=True)
class ImportConflict:
    """A case field changed differently here and in the imported log; ours was kept."""

    case_id: int
    field: str  # "status", "owner", "issue: <text>", "merged_into"
    ours: str | None
    theirs: str | None

    def message(self) -> str:
        return (f"Case #{self.case_id}: {self.field} was changed in both workspaces. "
                f"Kept {self.ours!r} here; the imported log has {self.theirs!r}.")


@dataclass
class ImportResult:
    """What an import did.  ``changes`` is falsy when nothing changed."""

    source: str = ""
    accounts_created: list[str] = field(default_factory=list)
    contacts_created: int = 0
    links_added: int = 0
    cases_created: list[int] = field(default_factory=list)
    cases_updated: list[int] = field(default_factory=list)
    messages_added: int = 0
    events_added: int = 0
    notes_added: int = 0
    issues_added: int = 0
    replies_added: int = 0
    conflicts: list[ImportConflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: Changes = field(default_factory=Changes)

    @property
    def nothing_changed(self) -> bool:
        return not self.changes

    def summary_lines(self) -> list[str]:
        """The result in a few sentences, for the CLI and the import dialog."""
        if self.nothing_changed:
            lines = ["Nothing to import: this workspace already has everything in the file."]
        else:
            lines = [(f"{len(self.cases_created)} case(s) added, {len(self.cases_updated)} "
                      f"updated; {self.messages_added} message(s), {self.events_added} "
                      f"timeline entr{'y' if self.events_added == 1 else 'ies'}, "
                      f"{self.notes_added} note(s), {self.issues_added} issue(s), "
                      f"{self.replies_added} repl{'y' if self.replies_added == 1 else 'ies'} "
                      "added.")]
        if self.accounts_created:
            lines.append("New accounts (add their credentials in the accounts dialog to "
                         f"sync or send): {', '.join(self.accounts_created)}.")
        if self.contacts_created:
            lines.append(f"{self.contacts_created} new contact(s).")
        if self.links_added:
            lines.append(f"{self.links_added} customer(s) linked across handles (same person), "
                         "as in the file.")
        lines += [c.message() for c in self.conflicts]
        lines += self.warnings
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "accounts_created": self.accounts_created,
            "contacts_created": self.contacts_created,
            "links_added": self.links_added,
            "cases_created": self.cases_created,
            "cases_updated": self.cases_updated,
            "messages_added": self.messages_added,
            "events_added": self.events_added,
            "notes_added": self.notes_added,
            "issues_added": self.issues_added,
            "replies_added": self.replies_added,
            "conflicts": [{"case_id": c.case_id, "field": c.field, "ours": c.ours,
                           "theirs": c.theirs} for c in self.conflicts],
            "warnings": self.warnings,
        }


# ------------------------------------------------------------------ reading
def load_case_log(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read and check a case log file.

    Raises:
        InvalidCaseLogError: not JSON, not a case log, from a newer version, or broken.
        KnownError: the file cannot be read.
    """
    path = Path(path)
    try:
        # Streamed: the cases are read one at a time on each pass, so memory stays flat
        # whatever the file's size (caselog_stream.py).
        data = read_case_log(path)
    except FileNotFoundError as exc:
        raise KnownError(f"There is no file {path}.") from exc
    except OSError as exc:
        raise KnownError(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    except (UnicodeDecodeError, CaseLogSyntaxError) as exc:
        raise InvalidCaseLogError(f"{path.name} is not a Community Console case log "
                                  f"(it is not valid JSON: {exc}).") from exc
    validate_case_log(data, name=path.name)
    assert isinstance(data, dict)
    return data


_REQUIRED = {
    "account": ("id", "platform", "handle"),
    "contact": ("id", "display_name", "handles"),
    "case": ("id", "contact_id", "status", "owner", "opened_at", "last_activity_at",
             "messages", "timeline"),
    "message": ("id", "account_id", "platform", "remote_id", "direction", "kind",
                "author_handle", "text", "created_at"),
    "event": ("at", "actor", "kind"),
    "note": ("author", "body", "created_at"),
    "issue": ("text", "created_at"),
    "reply": ("account_id", "body", "state", "idempotency_key", "created_at", "updated_at"),
    "link": ("id", "actor", "linked_at", "keep_handles", "other_handles"),
}


def validate_case_log(data: Any, *, name: str = "the file") -> None:
    """Check what the importer relies on (the JSON Schema says the rest).

    Raises:
        InvalidCaseLogError: with a message naming the first problem found.
    """
    def bad(problem: str) -> InvalidCaseLogError:
        return InvalidCaseLogError(f"{name} is not a usable case log: {problem}.")

    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise InvalidCaseLogError(f"{name} is not a Community Console case log.")
    version = data.get("version")
    if not isinstance(version, int):
        raise bad("it has no format version")
    if version > FORMAT_VERSION:
        raise InvalidCaseLogError(
            f"{name} was written by a newer version of Community Console (case log format "
            f"{version}; this version reads up to {FORMAT_VERSION}). Update the app to import it.")

    def check(kind: str, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            raise bad(f"{where} is not an object")
        missing = [k for k in _REQUIRED[kind] if k not in item]
        if missing:
            raise bad(f"{where} has no {missing[0]!r}")
        for key in ("at", "created_at", "updated_at", "opened_at", "last_activity_at",
                    "linked_at"):
            if key in item and key in _REQUIRED[kind]:
                try:
                    _epoch(item[key])
                except (TypeError, ValueError, AttributeError) as exc:
                    raise bad(f"{where} has a bad time in {key!r}") from exc

    for key in ("accounts", "contacts", "cases"):
        if not isinstance(data.get(key), list | StreamedArray):
            raise bad(f"{key!r} is missing")
    if not isinstance(data.get("links", []), list):
        raise bad("'links' is not a list")
    for i, link in enumerate(data.get("links", [])):
        where = f"link {i + 1}"
        check("link", link, where)
        for side in ("keep_handles", "other_handles"):
            if not isinstance(link[side], list) or not all(
                    isinstance(h, dict) and isinstance(h.get("platform"), str)
                    and isinstance(h.get("handle"), str) for h in link[side]):
                raise bad(f"{where} has no usable {side!r}")
        if link.get("unlinked_at") is not None:
            try:
                _epoch(link["unlinked_at"])
            except (TypeError, ValueError, AttributeError) as exc:
                raise bad(f"{where} has a bad time in 'unlinked_at'") from exc
    accounts = set()
    for i, acc in enumerate(data["accounts"]):
        check("account", acc, f"account {i + 1}")
        if acc["platform"] not in {p.value for p in Platform}:
            raise bad(f"account {acc['handle']!r} is on an unknown platform {acc['platform']!r}")
        accounts.add(acc["id"])
    contacts = set()
    for i, contact in enumerate(data["contacts"]):
        check("contact", contact, f"contact {i + 1}")
        contacts.add(contact["id"])
    statuses = {s.value for s in CaseStatus}
    for case in data["cases"]:
        check("case", case, "a case")
        where = f"case #{case['id']}"
        if case["status"] not in statuses:
            raise bad(f"{where} has an unknown status {case['status']!r}")
        if case["contact_id"] not in contacts:
            raise bad(f"{where} refers to a contact that is not in the file")
        for account_id in case.get("account_ids", []):
            if account_id not in accounts:
                raise bad(f"{where} refers to an account that is not in the file")
        for m in case["messages"]:
            check("message", m, f"a message of {where}")
            if m["account_id"] not in accounts or (
                    m.get("contact_id") is not None and m["contact_id"] not in contacts):
                raise bad(f"message {m['remote_id']!r} of {where} refers to an account or "
                          "contact that is not in the file")
            if m["direction"] not in {d.value for d in Direction} or \
                    m["kind"] not in {k.value for k in MessageKind}:
                raise bad(f"message {m['remote_id']!r} of {where} has an unknown kind")
        for kind, key in (("event", "timeline"), ("note", "notes"), ("issue", "checklist"),
                          ("reply", "replies")):
            for item in case.get(key, []):
                check(kind, item, f"an entry in the {key} of {where}")
        for r in case.get("replies", []):
            if r["account_id"] not in accounts:
                raise bad(f"a reply of {where} refers to an account that is not in the file")
            if r["state"] not in {s.value for s in ReplyState}:
                raise bad(f"a reply of {where} has an unknown state {r['state']!r}")


def _epoch(value: Any) -> int:
    return int(timeutil.parse_iso(value).timestamp())


def _opt_epoch(value: Any) -> int | None:
    return None if value is None else _epoch(value)


# ------------------------------------------------------------------ import
def import_file(store: Store, path: str | os.PathLike[str]) -> ImportResult:
    """Read a case log and merge it into ``store`` (one transaction)."""
    data = load_case_log(path)
    return import_case_log(store, data, source=Path(path).name)


def import_case_log(store: Store, data: dict[str, Any], *, source: str = "") -> ImportResult:
    """Merge an already-read case log into ``store``; all or nothing.

    Raises:
        InvalidCaseLogError: the data is not a readable case log.
    """
    validate_case_log(data, name=source or "the case log")
    with store.atomic():
        return _Merge(store, data, source).run()


def _key(event: dict[str, Any]) -> tuple[Any, ...]:
    return (event["at"], event["actor"], event["kind"], event.get("before"), event.get("after"),
            json.dumps(event.get("detail") or {}, sort_keys=True, ensure_ascii=False,
                       default=str))


def _fields(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The case fields these timeline entries changed, with their last value."""
    out: dict[str, Any] = {}
    for e in events:
        kind = e["kind"]
        if kind == "status":
            out["status"] = e.get("after")
        elif kind == "assign":
            out["owner"] = e.get("after")
        elif kind in ("issue_ticked", "issue_unticked"):
            text = str((e.get("detail") or {}).get("text", "")).casefold()
            out[f"issue:{text}"] = kind == "issue_ticked"
        elif kind == "merged" and "into_case" in (e.get("detail") or {}):
            out["merged_into"] = e["detail"]["into_case"]
    return out


class _Merge:
    """One import run: maps from the file's ids to local ones, and the result."""

    def __init__(self, store: Store, data: dict[str, Any], source: str) -> None:
        self.store = store
        self.data = data
        by = data.get("exported_by") or ""
        self.result = ImportResult(source=source or by)
        self.maps: dict[str, dict[int, int]] = {name: {} for name in set(ID_KEYS.values())}
        self.contacts: dict[int, int] = self.maps["contacts"]  # file contact -> local one
        self.existing_messages: set[int] = set()
        self.message_case: dict[int, int | None] = {}  # local message -> its local case
        self.local: dict[int, dict[str, Any]] = {}  # file case id -> snapshot of matched case
        self.touched: set[int] = set()
        #: file case id -> items renamed there (found by their creation entry): reported
        self.renamed: dict[int, list[ImportConflict]] = {}

    def run(self) -> ImportResult:
        self._accounts()
        self._contacts()
        self._messages()
        self._match_cases()
        for case in self.data["cases"]:
            self._contents(case)
        for case in self.data["cases"]:
            self._timeline_and_state(case)
        for case in self.data["cases"]:
            self._merged_into(case)
        r = self.result
        touched = frozenset(self.touched)
        r.cases_updated = sorted(touched - set(r.cases_created))
        if touched or r.accounts_created or r.contacts_created or r.links_added:
            r.changes = Changes(cases=bool(touched) or bool(r.contacts_created)
                                or bool(r.links_added),
                                messages=r.messages_added > 0,
                                accounts=bool(r.accounts_created),
                                replies=r.replies_added > 0, case_ids=touched)
        return r

    # ---------------------------------------------------------- references
    def _accounts(self) -> None:
        known, created = self.store.import_accounts(
            [{**a, "created_at": _opt_epoch(a.get("created_at"))} for a in self.data["accounts"]])
        for acc in self.data["accounts"]:
            self.maps["accounts"][acc["id"]] = known[(acc["platform"], acc["handle"])]
        created_set = set(created)
        self.result.accounts_created = [
            a["handle"] for a in self.data["accounts"]
            if known[(a["platform"], a["handle"])] in created_set]

    def _contacts(self) -> None:
        # The contacts are streamed (a case log of 100,000 cases has as many): keep only
        # who was merged into whom, and the few contacts the links name.
        named = {int(link.get(side) or 0) for link in self.data.get("links", [])
                 for side in ("keep_contact", "other_contact")}
        merged_into: dict[int, Any] = {}
        by_id: dict[int, dict[str, Any]] = {}
        for c in self.data["contacts"]:
            merged_into[c["id"]] = c.get("merged_into")
            if c["id"] in named:
                by_id[c["id"]] = c

        def survivor(contact_id: int) -> int:
            seen = set()
            while merged_into.get(contact_id) in merged_into and contact_id not in seen:
                seen.add(contact_id)
                contact_id = merged_into[contact_id]
            return contact_id

        links = [link for link in self.data.get("links", []) if link.get("unlinked_at") is None]
        # Handles a standing link moved belong to that link's other side: it is made here
        # as a link (undoable, in the timeline), not by giving the kept contact the handles.
        moved = {(h["platform"], h["handle"]) for link in links for h in link["other_handles"]}
        for contact in self.data["contacts"]:
            if survivor(contact["id"]) != contact["id"]:
                continue
            handles = [(h["platform"], h["handle"], h.get("remote_id"))
                       for h in contact["handles"] if (h["platform"], h["handle"]) not in moved]
            found = self.store.import_find_contacts((p, h) for p, h, _ in handles)
            local = next((found[(p, h)] for p, h, _ in handles if (p, h) in found), None)
            if local is None and not handles:
                local = self.store.import_find_contact_named(contact["display_name"])
            if local is None:
                local = self.store.import_add_contact(
                    contact["display_name"], created_at=_opt_epoch(contact.get("created_at")))
                self.result.contacts_created += 1
            missing = [h for h in handles if (h[0], h[1]) not in found]
            if missing:
                self.store.import_add_handles(local, missing)
            self.contacts[contact["id"]] = local
        for link in self.data.get("links", []):
            self._link(link, by_id)
        # Contacts merged into another keep their own record (old messages and the
        # timeline's "contact merged" entries point at it), merged here as there.
        for contact in self.data["contacts"]:
            if contact["id"] in self.contacts:
                continue
            into = ContactId(self.contacts[survivor(contact["id"])])
            local = self.store.import_find_merged_contact(contact["display_name"], into=into)
            if local is None:
                local = self.store.import_add_contact(
                    contact["display_name"], created_at=_opt_epoch(contact.get("created_at")),
                    merged_into=into)
                self.result.contacts_created += 1
            self.contacts[contact["id"]] = local

    def _side(self, handles: list[tuple[str, str]], contact: dict[str, Any] | None
              ) -> ContactId:
        """The local contact one side of a link names (made, with its handles, if new)."""
        found = self.store.import_find_contacts(handles)
        local = next((found[h] for h in handles if h in found), None)
        if local is None:
            name = contact["display_name"] if contact else handles[0][1]
            local = self.store.import_add_contact(
                name, created_at=_opt_epoch(contact.get("created_at")) if contact else None)
            self.result.contacts_created += 1
        remote = {(h["platform"], h["handle"]): h.get("remote_id")
                  for h in (contact or {}).get("handles", [])}
        missing = [(p, h, remote.get((p, h))) for p, h in handles if (p, h) not in found]
        if missing:
            self.store.import_add_handles(local, missing)
        return local

    def _link(self, link: dict[str, Any], by_id: dict[int, dict[str, Any]]) -> None:
        """Make a link of the file here, unless it is here already or kept apart here."""
        keep = [(h["platform"], h["handle"]) for h in link["keep_handles"]]
        other = [(h["platform"], h["handle"]) for h in link["other_handles"]]
        at = _epoch(link["linked_at"])
        known = self.store.import_find_link(other, linked_at=at, actor=link["actor"])
        if known is not None:  # the same link (made here, or by an earlier import)
            self.maps["links"][link["id"]] = known["id"]
            if known["unlinked_at"] is not None and link.get("unlinked_at") is None:
                self.result.warnings.append(
                    f"Not linked again as the same person: {', '.join(h for _, h in other)}; "
                    f"the link #{known['id']} was undone here.")
            for side in ("keep_contact", "other_contact"):
                if isinstance(link.get(side), int):
                    self.contacts.setdefault(link[side], known[side])
            return
        if link.get("unlinked_at") is not None or not keep or not other:
            return  # undone there: the two are apart in the file already
        kept = self._side(keep, by_id.get(int(link.get("keep_contact") or 0)))
        local_other = self._side(other, by_id.get(int(link.get("other_contact") or 0)))
        if isinstance(link.get("other_contact"), int):
            self.contacts.setdefault(link["other_contact"], local_other)
        if kept == local_other:
            return  # one contact here already
        apart = self.store.import_kept_apart(kept, local_other, keep, other)
        if apart is not None:
            names = ", ".join(h for _, h in other)
            self.result.warnings.append(
                f"Not linked as the same person: {names} and {keep[0][1]}, because {apart}.")
            return
        link_id, changes = self.store.link_contacts(
            kept, local_other, actor=link["actor"], at=timeutil.from_epoch(at))
        self.maps["links"][link["id"]] = link_id
        self.touched |= set(changes.case_ids)
        self.result.links_added += 1

    def _messages(self) -> None:
        accounts = self.maps["accounts"]
        def all_messages() -> Iterator[dict[str, Any]]:  # a pass over the (streamed) cases
            return (m for case in self.data["cases"] for m in case["messages"])

        found = self.store.import_find_messages(
            (accounts[m["account_id"]], m["remote_id"]) for m in all_messages())
        for m in all_messages():
            key = (accounts[m["account_id"]], m["remote_id"])
            if key in found:
                local_id, case_id = found[key]
                self.existing_messages.add(local_id)
            else:
                row = dict(m)
                row["account_id"] = key[0]
                row["contact_id"] = self.contacts.get(m["contact_id"]) \
                    if m.get("contact_id") is not None else None
                row["created_at"] = _epoch(m["created_at"])
                local_id, case_id = self.store.import_add_message(row), None
                found[key] = (local_id, None)
                self.result.messages_added += 1
            self.maps["messages"][m["id"]] = local_id
            self.message_case[local_id] = case_id

    # --------------------------------------------------------------- cases
    def _opening_message(self, case: dict[str, Any]) -> int | None:
        for event in case["timeline"]:
            if event["kind"] == "message_in":
                source = (event.get("detail") or {}).get("message_id")
                return self.maps["messages"].get(source) if isinstance(source, int) else None
        return None

    def _match_cases(self) -> None:
        openings = {c["id"]: self._opening_message(c) for c in self.data["cases"]}
        opened_by = self.store.import_cases_opened_by(
            [m for m in openings.values() if m is not None and m in self.existing_messages])
        taken: set[int] = set()
        matched: dict[int, int] = {}  # local case -> file case
        for case in self.data["cases"]:
            opening = openings[case["id"]]
            local: int | None = opened_by.get(MessageId(opening)) \
                if opening is not None else None
            if local is None:
                holders = Multiset(
                    self.message_case.get(self.maps["messages"][m["id"]])
                    for m in case["messages"])
                holders.pop(None, None)
                if holders:
                    local = holders.most_common(1)[0][0]
            if local is not None and local not in taken:
                taken.add(local)
                self.maps["cases"][case["id"]] = local
                matched[local] = case["id"]
                continue
            new_id = self.store.import_add_case({
                "contact_id": self.contacts[case["contact_id"]],
                "status": case["status"], "owner": case["owner"],
                "opened_at": _epoch(case["opened_at"]),
                "last_activity_at": _epoch(case["last_activity_at"]),
                "last_inbound_at": _opt_epoch(case.get("last_inbound_at")),
                "waiting_since": _opt_epoch(case.get("waiting_since")),
                "snoozed_until": _opt_epoch(case.get("snoozed_until")),
                "snooze_until_reply": bool(case.get("snooze_until_reply")),
                "followup_due_at": _opt_epoch(case.get("followup_due_at")),
                "sentiment": case.get("sentiment"), "preview": case.get("preview", ""),
                "message_count": case.get("message_count", len(case["messages"])),
                "platforms": case.get("platforms")
                or sorted({m["platform"] for m in case["messages"]}),
            })
            self.maps["cases"][case["id"]] = new_id
            self.result.cases_created.append(new_id)
            self.touched.add(new_id)
        # What the matched cases hold here, read before anything is added to them.
        for batch in self.store.export_cases(sorted(matched)):
            for snapshot in batch:
                self.local[matched[snapshot["id"]]] = snapshot

    def _contents(self, case: dict[str, Any]) -> None:
        """Messages, accounts, notes, checklist items and replies the case lacks here."""
        store, maps = self.store, self.maps
        local_id = CaseId(maps["cases"][case["id"]])
        snapshot = self.local.get(case["id"])
        to_link = []
        for m in case["messages"]:
            mid = maps["messages"][m["id"]]
            holder = self.message_case.get(mid)
            if holder is None:
                to_link.append(mid)
                self.message_case[mid] = local_id
            elif holder != local_id:
                self.result.warnings.append(
                    f"Message {m['remote_id']} of imported case #{case['id']} is already in "
                    f"case #{holder} here; it stays there.")
        accounts = [maps["accounts"][a] for a in case.get("account_ids", [])]
        if snapshot is not None:
            accounts = [a for a in accounts if a not in snapshot["account_ids"]]
        if to_link or accounts:
            store.import_link(local_id, message_ids=to_link, account_ids=accounts)
            self.touched.add(local_id)

        pool = Multiset((n["author"], n["body"], n["created_at"])
                        for n in (snapshot or {}).get("notes", []))
        ids_by_key: dict[tuple[str, str, int], list[int]] = {}
        for n in (snapshot or {}).get("notes", []):
            ids_by_key.setdefault((n["author"], n["body"], n["created_at"]), []).append(n["id"])
        for note in case.get("notes", []):
            key = (note["author"], note["body"], _epoch(note["created_at"]))
            if pool[key] > 0:
                pool[key] -= 1
                maps["notes"][note["id"]] = ids_by_key[key].pop(0)
            else:
                maps["notes"][note["id"]] = store.import_add_note(
                    local_id, author=key[0], body=key[1], created_at=key[2])
                self.result.notes_added += 1
                self.touched.add(local_id)

        items = {i["text"].casefold(): i for i in (snapshot or {}).get("checklist", [])}
        # The text an item was created with (its "issue_added" entry): an item renamed in
        # the other workspace is still the same item, not a new one.
        created_as = {(e.get("detail") or {}).get("item_id"): e.get("after")
                      for e in case["timeline"] if e["kind"] == "issue_added"}
        for item in case.get("checklist", []):
            mine = items.get(item["text"].casefold())
            first = created_as.get(item["id"])
            if mine is None and isinstance(first, str):
                mine = items.get(first.casefold())
                if mine is not None:  # renamed there: ours is kept, the rename reported
                    self.renamed.setdefault(case["id"], []).append(ImportConflict(
                        local_id, f"issue: {mine['text'].casefold()}", mine["text"],
                        item["text"]))
            if mine is not None:
                maps["issues"][item["id"]] = mine["id"]
                continue
            source = item.get("source_message_id")
            maps["issues"][item["id"]] = store.import_add_issue(
                local_id, text=item["text"],
                source_message_id=maps["messages"].get(source) if source is not None else None,
                done=bool(item.get("done")), done_at=_opt_epoch(item.get("done_at")),
                created_at=_epoch(item["created_at"]))
            self.result.issues_added += 1
            self.touched.add(local_id)

        replies = case.get("replies", [])
        known = store.import_find_replies(r["idempotency_key"] for r in replies)
        queued = 0
        for reply in replies:
            if reply["idempotency_key"] in known:
                if "id" in reply:
                    maps["replies"][reply["id"]] = known[reply["idempotency_key"]]
                continue
            row = dict(reply)
            row["account_id"] = maps["accounts"][reply["account_id"]]
            parent = reply.get("in_reply_to_message_id")
            row["in_reply_to_message_id"] = maps["messages"].get(parent) \
                if parent is not None else None
            for name in ("created_at", "updated_at", "approved_at", "sent_at"):
                row[name] = _opt_epoch(reply.get(name))
            if row["state"] in (ReplyState.APPROVED, ReplyState.SENDING):
                # Never send from this workspace what was queued in another one
                # without a fresh review here.
                row["state"] = ReplyState.DRAFT.value
                row["approved_at"] = None
                queued += 1
            new_id = store.import_add_reply(local_id, row)
            if "id" in reply:
                maps["replies"][reply["id"]] = new_id
            self.result.replies_added += 1
            self.touched.add(local_id)
        if queued:
            self.result.warnings.append(
                f"{queued} queued repl{'y' if queued == 1 else 'ies'} of case #{local_id} came "
                "in as draft(s): review and approve them here before they are sent.")

    # ------------------------------------------------------------ timeline
    def _remap(self, event: dict[str, Any]) -> dict[str, Any]:
        detail = dict(event.get("detail") or {})
        for key, table in ID_KEYS.items():
            value = detail.get(key)
            if value is not None:
                detail[key] = self.maps[table].get(value) if isinstance(value, int) else None
        before, after = event.get("before"), event.get("after")
        if event["kind"] == "contact_merged":
            before, after = (self._contact_text(v) for v in (before, after))
        return {"at": _epoch(event["at"]), "actor": event["actor"], "kind": event["kind"],
                "before": before, "after": after, "detail": detail}

    def _contact_text(self, value: str | None) -> str | None:
        if value is None or not value.isdigit():
            return value
        local = self.contacts.get(int(value))
        return str(local) if local is not None else value

    def _timeline_and_state(self, case: dict[str, Any]) -> None:
        local_id = CaseId(self.maps["cases"][case["id"]])
        snapshot = self.local.get(case["id"])
        mine = snapshot["timeline"] if snapshot else []
        pool = Multiset(_key(e) for e in mine)
        theirs = [self._remap(e) for e in case["timeline"]]
        new: list[dict[str, Any]] = []
        for event in theirs:
            key = _key(event)
            if pool[key] > 0:
                pool[key] -= 1
            else:
                new.append(event)
        local_only = []  # what the workspace has that the file lacks
        for event in mine:
            key = _key(event)
            if pool[key] > 0:
                pool[key] -= 1
                local_only.append(event)
        if new:
            self.store.import_add_events(local_id, new)
            self.result.events_added += len(new)
            self.touched.add(local_id)
        if snapshot is None:  # created from the file: its columns are the file's
            self.store.import_update_case(local_id, {}, merge_platforms=False)
            return
        updates, conflicts = self._merge_state(case, snapshot, new, local_only)
        # A rename leaves no timeline entry, so it is reported once, not on every import.
        logged = {((e.get("detail") or {}).get("field"), e.get("before"), e.get("after"))
                  for e in mine if e["kind"] == "import_conflict"}
        conflicts += [c for c in self.renamed.get(case["id"], [])
                      if (c.field, c.ours, c.theirs) not in logged]
        if conflicts:
            me = self.store.me
            self.store.import_add_events(local_id, [{
                "at": timeutil.to_epoch(timeutil.now()), "actor": me, "kind": "import_conflict",
                "before": c.ours, "after": c.theirs,
                "detail": {"field": c.field, "source": self.result.source or None}}
                for c in conflicts])
            self.result.conflicts += conflicts
            self.touched.add(local_id)
        if updates or local_id in self.touched:
            self.store.import_update_case(local_id, updates)
            self.touched.add(local_id)

    def _merge_state(self, case: dict[str, Any], ours: dict[str, Any],
                     new: list[dict[str, Any]], local_only: list[dict[str, Any]]
                     ) -> tuple[dict[str, Any], list[ImportConflict]]:
        """The case fields to set here, and the conflicts (see the module docstring)."""
        updates: dict[str, Any] = {}
        conflicts: list[ImportConflict] = []
        local_id = ours["id"]
        if not new:
            return updates, conflicts
        ahead = not local_only
        changed_there, changed_here = _fields(new), _fields(local_only)
        items_here = {i["text"].casefold(): i for i in ours["checklist"]}
        items_there = {i["text"].casefold(): i for i in case.get("checklist", [])}

        def values(name: str) -> tuple[Any, Any]:
            if name.startswith("issue:"):
                text = name[len("issue:"):]
                here, there = items_here.get(text), items_there.get(text)
                return (here["done"] if here else None, there["done"] if there else None)
            if name == "merged_into":
                theirs = case.get("merged_into")
                return ours["merged_into"], self.maps["cases"].get(theirs) if theirs else None
            return ours[name], case[name]

        for name in sorted(set(changed_there) | ({"status", "owner"} if ahead else set())):
            here, there = values(name)
            if here == there or there is None and name.startswith("issue:"):
                continue
            if name == "merged_into" or (name in changed_here and not ahead):
                label = f"issue: {name[len('issue:'):]}" if name.startswith("issue:") else name
                conflicts.append(ImportConflict(local_id, label, _text(here), _text(there)))
                continue
            if name.startswith("issue:"):
                item = items_here.get(name[len("issue:"):])
                if item is not None:
                    theirs_item = items_there[name[len("issue:"):]]
                    self.store.import_set_issue(item["id"], done=bool(theirs_item["done"]),
                                                done_at=_opt_epoch(theirs_item.get("done_at")))
                    self.touched.add(local_id)
                continue
            updates[name] = there

        last_there = _epoch(case["last_activity_at"])
        updates["last_activity_at"] = max(ours["last_activity_at"], last_there)
        updates["opened_at"] = min(ours["opened_at"], _epoch(case["opened_at"]))
        inbound = [t for t in (ours["last_inbound_at"], _opt_epoch(case.get("last_inbound_at")))
                   if t is not None]
        updates["last_inbound_at"] = max(inbound) if inbound else None
        if last_there > ours["last_activity_at"]:
            updates["preview"] = case.get("preview", ours["preview"])
            updates["sentiment"] = case.get("sentiment")
        status = updates.get("status", ours["status"])
        if ahead:
            updates["waiting_since"] = _opt_epoch(case.get("waiting_since"))
            updates["snoozed_until"] = _opt_epoch(case.get("snoozed_until"))
            updates["snooze_until_reply"] = bool(case.get("snooze_until_reply"))
            updates["followup_due_at"] = _opt_epoch(case.get("followup_due_at"))
        elif status not in OPEN:
            updates["waiting_since"] = None
        else:
            # Both sides moved on: the customer waits since the earliest unanswered
            # message either side knows of, unless a later reply answered it.
            timeline = ours["timeline"] + new
            replies = [e["at"] for e in timeline if e["kind"] == "message_out"]
            last_reply = max(replies, default=None)
            waits = [w for w in (ours["waiting_since"], _opt_epoch(case.get("waiting_since")))
                     if w is not None and (last_reply is None or w > last_reply)]
            # A message that came in after the last reply (on either side) is unanswered,
            # even when each side's own "waiting since" was older and so answered.
            waits += [e["at"] for e in timeline if e["kind"] == "message_in"
                      and last_reply is not None and e["at"] > last_reply]
            updates["waiting_since"] = min(waits) if waits else None
        updates = {k: v for k, v in updates.items() if ours.get(k) != v}
        return updates, conflicts

    def _merged_into(self, case: dict[str, Any]) -> None:
        """A case created from the file that was merged there is merged here too."""
        local_id = CaseId(self.maps["cases"][case["id"]])
        target = case.get("merged_into")
        if target is None or local_id not in self.result.cases_created:
            return
        mapped = self.maps["cases"].get(target)
        if mapped is not None:
            self.store.import_update_case(local_id, {"merged_into": mapped}, recount=False)


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "done" if value else "open"
    return str(value)
