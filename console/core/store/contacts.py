"""Store part: one customer across platforms: link and unlink handles, suggest links."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import CaseId, ContactId
from console.core.models import IncomingMessage, ProfileEvidence
from console.core.rules import FINISHED_STATUSES, OPEN_STATUSES
from console.core.store.messages import MessagesPart
from console.core.store.model import IngestResult, sort_key_for
from console.core.store.rows import _chunks, _dt, _json
from console.core.store.sql import status_not_in

PLATFORM_LABELS = {"mastodon": "Mastodon", "bluesky": "Bluesky", "x": "X", "demo": "Demo"}


def handle_key(platform: str, handle: str) -> str:
    """``platform:handle`` in lower case: how profile evidence names a handle."""
    return f"{platform}:{handle.lstrip('@').casefold()}"


def handle_text(platform: str, handle: str) -> str:
    return f"{handle} ({PLATFORM_LABELS.get(platform, platform)})"


@dataclass(frozen=True)
class ContactLink:
    """The user said ``other_contact`` is the same person as ``keep_contact``."""

    id: int
    keep_contact: ContactId
    other_contact: ContactId
    handles: tuple[tuple[str, str], ...]  # (platform, handle) that came from the other contact
    actor: str
    linked_at: dt.datetime
    unlinked_at: dt.datetime | None = None


@dataclass(frozen=True)
class ContactSummary:
    """A contact as the link search and ``contacts list`` show it."""

    id: ContactId
    name: str
    handles: tuple[tuple[str, str], ...]
    case_id: CaseId | None  # the current case, if any
    links: tuple[ContactLink, ...] = ()


@dataclass(frozen=True)
class LinkSuggestion:
    """Strong evidence that two contacts are one person; the user decides."""

    contact: ContactSummary  # the other contact (the one to link with)
    reason: str
    pair: tuple[str, str]  # the two handle keys; dismissing remembers this pair


class ContactsPart(MessagesPart):
    """Contacts across platforms: links the user made (undoable) and link suggestions."""

    # ------------------------------------------------------------ profile evidence
    def ingest(self, items: Iterable[IncomingMessage], *, actor: str = "sync",
               batch_size: int = 1_000_000, scorer: Any = None) -> IngestResult:
        """``MessagesPart.ingest``, then remember what the authors' profiles say."""
        latest: dict[tuple[str, str], ProfileEvidence] = {}

        def watch() -> Iterator[IncomingMessage]:
            for item in items:
                if item.author_profile is not None:
                    # The newest sighting of a profile replaces older ones (profiles change).
                    latest[(str(item.platform), item.author_handle)] = item.author_profile
                yield item

        result = super().ingest(watch(), actor=actor, batch_size=batch_size, scorer=scorer)
        if latest:
            with self.atomic():
                self._note_profiles(latest)
        return result

    def _note_profiles(self, latest: dict[tuple[str, str], ProfileEvidence]) -> None:
        now = timeutil.to_epoch(timeutil.now())
        conn = self.db.conn
        conn.executemany("DELETE FROM contact_evidence WHERE platform = ? AND handle = ?",
                         list(latest))
        rows = []
        for (platform, handle), profile in latest.items():
            rows += [(platform, handle, "mention", v, now) for v in profile.mentions]
            rows += [(platform, handle, "verified_link", v, now) for v in profile.verified_links]
        conn.executemany("INSERT OR IGNORE INTO contact_evidence (platform, handle, kind, value, "
                         "seen_at) VALUES (?, ?, ?, ?, ?)", rows)

    def profile_evidence(self, platform: str, handle: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {"mention": [], "verified_link": []}
        for kind, value in self.db.conn.execute(
                "SELECT kind, value FROM contact_evidence WHERE platform = ? AND handle = ? "
                "ORDER BY kind, value", [platform, handle]):
            out[kind].append(value)
        return out

    # ------------------------------------------------------------ reading contacts
    def contact_summaries(self, contact_ids: Sequence[int]) -> list[ContactSummary]:
        """The contacts named (merged ones as their survivor), in the order given."""
        conn = self.db.conn
        out: dict[int, ContactSummary] = {}
        for chunk in _chunks(list(dict.fromkeys(contact_ids)), 500):
            marks = ",".join("?" * len(chunk))
            rows = conn.execute(f"SELECT id, display_name FROM contacts WHERE id IN ({marks})",
                                chunk).fetchall()
            handles: dict[int, list[tuple[str, str]]] = {}
            for cid, platform, handle in conn.execute(
                    f"SELECT contact_id, platform, handle FROM contact_handles "
                    f"WHERE contact_id IN ({marks}) ORDER BY id", chunk):
                handles.setdefault(cid, []).append((platform, handle))
            cases = dict(conn.execute(
                f"SELECT contact_id, max(id) FROM cases WHERE contact_id IN ({marks}) "
                f"AND merged_into IS NULL GROUP BY contact_id", chunk).fetchall())
            links: dict[int, list[ContactLink]] = {}
            for link in self._links(f"keep_contact IN ({marks}) AND unlinked_at IS NULL", chunk):
                links.setdefault(link.keep_contact, []).append(link)
            for cid, name in rows:
                out[cid] = ContactSummary(
                    id=ContactId(cid), name=name, handles=tuple(handles.get(cid, ())),
                    case_id=CaseId(cases[cid]) if cases.get(cid) else None,
                    links=tuple(links.get(cid, ())))
        return [out[c] for c in contact_ids if c in out]

    def contact_summary(self, contact_id: ContactId) -> ContactSummary:
        found = self.contact_summaries([contact_id])
        if not found:
            raise NotFoundError(f"There is no contact #{contact_id}.")
        return found[0]

    def find_contacts(self, query: str, *, exclude: ContactId | None = None,
                      limit: int = 20) -> list[ContactSummary]:
        """Contacts whose name or a handle contains ``query`` (the "Same person as…" search)."""
        words = query.strip().lstrip("@").casefold()
        if not words:
            return []
        pattern = "%" + words.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        ids = [r[0] for r in self.db.conn.execute(
            "SELECT c.id FROM contacts c WHERE c.merged_into IS NULL AND c.id != ? AND ("
            "lower(c.display_name) LIKE ? ESCAPE '\\' OR EXISTS (SELECT 1 FROM contact_handles h "
            "WHERE h.contact_id = c.id AND lower(h.handle) LIKE ? ESCAPE '\\')) "
            "ORDER BY c.id DESC LIMIT ?", [exclude or 0, pattern, pattern, limit])]
        return self.contact_summaries(ids)

    def contact_by_handle(self, text: str) -> ContactId:
        """The contact with this handle; ``platform:handle`` when the handle alone is ambiguous."""
        platform, _, handle = text.partition(":")
        if not handle or platform not in PLATFORM_LABELS:
            platform, handle = "", text
        handle = handle.strip().lstrip("@")
        rows = self.db.conn.execute(
            "SELECT DISTINCT h.contact_id, h.platform, h.handle FROM contact_handles h "
            "WHERE lower(h.handle) IN (?, ?) AND (? = '' OR h.platform = ?)",
            [handle.casefold(), "@" + handle.casefold(), platform, platform]).fetchall()
        if not rows:
            raise NotFoundError(f"No customer has the handle {handle}"
                                + (f" on {PLATFORM_LABELS[platform]}." if platform else "."))
        if len({r[0] for r in rows}) > 1:
            choices = ", ".join(f"{r[1]}:{r[2]}" for r in rows)
            raise KnownError(f"{handle} is a handle on several platforms; say which: {choices}.")
        return ContactId(rows[0][0])

    def linked_contacts(self) -> list[ContactSummary]:
        """Every contact known under more than one handle, newest first."""
        ids = [r[0] for r in self.db.conn.execute(
            "SELECT contact_id FROM contact_handles GROUP BY contact_id HAVING count(*) > 1 "
            "ORDER BY contact_id DESC")]
        return self.contact_summaries(ids)

    def _links(self, where: str, params: Sequence[Any]) -> list[ContactLink]:
        out = []
        for r in self.db.conn.execute(
                f"SELECT id, keep_contact, other_contact, actor, linked_at, unlinked_at, undo "
                f"FROM contact_links WHERE {where} ORDER BY id", list(params)):
            undo = json.loads(r[6])
            out.append(ContactLink(
                id=r[0], keep_contact=ContactId(r[1]), other_contact=ContactId(r[2]),
                handles=tuple((p, h) for p, h in undo["handle_names"]), actor=r[3],
                linked_at=_dt(r[4]), unlinked_at=_dt(r[5]) if r[5] is not None else None))
        return out

    def contact_link(self, link_id: int) -> ContactLink:
        found = self._links("id = ?", [link_id])
        if not found:
            raise NotFoundError(f"There is no contact link #{link_id}.")
        return found[0]

    def link_of_handle(self, platform: str, handle: str) -> ContactLink:
        """The active link that brought this handle to its contact."""
        contact = self.contact_by_handle(f"{platform}:{handle}")
        for link in self._links("keep_contact = ? AND unlinked_at IS NULL", [contact]):
            if any(p == platform and h.casefold() == handle.casefold() for p, h in link.handles):
                return link
        summary = self.contact_summary(contact)
        linked = [handle_text(p, h) for link in summary.links for p, h in link.handles]
        raise KnownError(
            f"{handle} was not linked to this customer, it is their own handle. "
            + (f"Unlink one of the handles linked to it: {', '.join(linked)}."
               if linked else "Nothing is linked to it."))

    # ------------------------------------------------------------ suggestions
    def link_suggestions(self, contact_id: ContactId | None = None) -> list[LinkSuggestion]:
        """Contacts that profiles say are one person (all of them, or those of ``contact_id``).

        Strong evidence only: a profile on one platform naming a handle on another
        (a Bluesky description, a Mastodon field or bio), or the same verified link
        (a Mastodon field verified with rel=me, a Bluesky domain handle) on two
        handles.  Dismissed pairs are left out.
        """
        conn = self.db.conn
        # h1's profile holds the evidence, h2 is the handle it names (or shares a link with).
        cols = "h1.contact_id, h1.platform, h1.handle, h2.contact_id, h2.platform, h2.handle"
        named = ("contact_handles h2 ON h2.platform = substr(e.value, 1, instr(e.value, ':') - 1) "
                 "AND lower(h2.handle) IN (substr(e.value, instr(e.value, ':') + 1), "
                 "'@' || substr(e.value, instr(e.value, ':') + 1))")
        owner = "contact_handles h1 ON h1.platform = e.platform AND h1.handle = e.handle"
        cross = "h2.platform != h1.platform AND h1.contact_id != h2.contact_id"
        if contact_id is None:  # every pair (the command line's list): one pass over all
            every = (f"SELECT {cols}, e.value FROM contact_evidence e JOIN {owner} "
                     f"JOIN {named} WHERE e.kind = 'mention' AND {cross}")
            mentions = [every]
            links = (f"SELECT {cols}, e.value FROM contact_evidence e "
                     "JOIN contact_evidence e2 ON e2.kind = 'verified_link' AND e2.value = e.value "
                     f"JOIN {owner} JOIN contact_handles h2 ON h2.platform = e2.platform "
                     "AND h2.handle = e2.handle WHERE e.kind = 'verified_link' "
                     "AND h1.contact_id < h2.contact_id")
        else:
            # One customer's (each case shown): start from their handles, so every step is
            # an index lookup (CROSS JOIN keeps that order) and the panel stays quick.
            forward = (f"SELECT {cols}, e.value FROM contact_handles h1 "
                       "CROSS JOIN contact_evidence e ON e.platform = h1.platform "
                       "AND e.handle = h1.handle AND e.kind = 'mention' "
                       f"CROSS JOIN {named} WHERE h1.contact_id = :c AND {cross}")
            backward = (f"SELECT {cols}, e.value FROM contact_handles h2 "
                        "CROSS JOIN contact_evidence e ON e.kind = 'mention' "
                        "AND e.value = h2.platform || ':' || ltrim(lower(h2.handle), '@') "
                        f"CROSS JOIN {owner} WHERE h2.contact_id = :c AND {cross}")
            mentions = [forward, backward]
            links = (f"SELECT {cols}, e.value FROM contact_handles h1 CROSS JOIN contact_evidence e "
                     "ON e.platform = h1.platform AND e.handle = h1.handle "
                     "AND e.kind = 'verified_link' CROSS JOIN contact_evidence e2 "
                     "ON e2.kind = 'verified_link' AND e2.value = e.value "
                     "CROSS JOIN contact_handles h2 ON h2.platform = e2.platform "
                     "AND h2.handle = e2.handle WHERE h1.contact_id = :c "
                     "AND h2.contact_id != h1.contact_id")
        found: list[tuple[int, str, str, int, str, str, str, str]] = []
        for sql in mentions:
            found += [(*r[:6], "mention", r[6]) for r in conn.execute(sql, {"c": contact_id})]
        found += [(*r[:6], "verified_link", r[6])
                  for r in conn.execute(links, {"c": contact_id})]
        dismissed = {(a, b) for a, b in conn.execute("SELECT a, b FROM contact_link_dismissals")}
        pairs: dict[tuple[int, int], tuple[tuple[str, str], str]] = {}
        for c1, p1, h1, c2, p2, h2, kind, value in found:
            pair = tuple(sorted((handle_key(p1, h1), handle_key(p2, h2))))
            if pair in dismissed:
                continue
            if kind == "mention":
                reason = (f"The {PLATFORM_LABELS.get(p1, p1)} profile of {h1} names {h2} "
                          f"({PLATFORM_LABELS.get(p2, p2)}).")
            else:
                reason = f"{h1} and {h2} both have the verified link {value}."
            key = (c1, c2) if contact_id is None or c1 == contact_id else (c2, c1)
            pairs.setdefault(key, ((pair[0], pair[1]), reason))
        others = {c2 for _, c2 in pairs}
        summaries: dict[int, ContactSummary] = {
            s.id: s for s in self.contact_summaries(sorted(others))}
        return [LinkSuggestion(contact=summaries[c2], reason=reason, pair=pair)
                for (_, c2), (pair, reason) in pairs.items() if c2 in summaries]

    def dismiss_suggestion(self, pair: tuple[str, str], *, actor: str | None = None) -> Changes:
        """Never suggest this pair of handles again."""
        a, b = sorted(pair)
        with self.atomic():
            self.db.conn.execute(
                "INSERT OR IGNORE INTO contact_link_dismissals (a, b, actor, dismissed_at) "
                "VALUES (?, ?, ?, ?)", [a, b, actor or self.me, timeutil.to_epoch(timeutil.now())])
        # The cases that showed the suggestion are the ones to refresh.
        shown: set[int] = set()
        for key in (a, b):
            try:
                case_id = self.contact_summary(self.contact_by_handle(key)).case_id
            except KnownError:
                continue
            if case_id is not None:
                shown.add(case_id)
        return Changes(cases=True, case_ids=frozenset(shown))

    # ------------------------------------------------------------ link / unlink
    def link_contacts(self, keep: ContactId, other: ContactId, *, actor: str | None = None,
                      at: dt.datetime | None = None) -> tuple[int, Changes]:
        """``other`` is the same person as ``keep``: one contact, one open case.

        ``other``'s handles and cases move to ``keep``; when both have an unfinished
        case, ``other``'s is merged into ``keep``'s.  Everything changed is recorded
        so that :meth:`unlink_contacts` puts it back.

        Returns:
            The link's id (what unlinking names) and what changed.
        """
        if keep == other:
            raise KnownError("A customer cannot be linked with themselves.")
        conn = self.db.conn
        with self.atomic():
            names = {}
            for cid in (keep, other):
                row = conn.execute("SELECT merged_into, display_name FROM contacts WHERE id = ?",
                                   [cid]).fetchone()
                if row is None:
                    raise NotFoundError(f"There is no contact #{cid}.")
                if row[0]:
                    raise KnownError(f"Contact #{cid} is already linked into #{row[0]}.")
                names[cid] = row[1]
            handles = conn.execute("SELECT id, platform, handle FROM contact_handles "
                                   "WHERE contact_id = ? ORDER BY id", [other]).fetchall()
            undo: dict[str, Any] = {
                "handles": [r[0] for r in handles],
                "handle_names": [[r[1], r[2]] for r in handles],
                "redirected": [r[0] for r in conn.execute(
                    "SELECT id FROM contacts WHERE merged_into = ?", [other])],
                "other_cases": [r[0] for r in conn.execute(
                    "SELECT id FROM cases WHERE contact_id = ? ORDER BY id", [other])],
                "keep_cases": [r[0] for r in conn.execute(
                    "SELECT id FROM cases WHERE contact_id = ? ORDER BY id", [keep])],
                "last_message": conn.execute(
                    "SELECT coalesce(max(id), 0) FROM messages").fetchone()[0],
                "case_merge": None,
            }
            keep_case, other_case = self._live_case(keep), self._live_case(other)
            if keep_case is not None and other_case is not None:
                undo["case_merge"] = {
                    "source": other_case, "target": keep_case,
                    "source_row": self._case_snapshot(other_case),
                    "target_row": self._case_snapshot(keep_case),
                    "messages": self._ids("case_messages", "message_id", other_case),
                    "notes": self._ids("notes", "id", other_case),
                    "checklist": self._ids("checklist_items", "id", other_case),
                    "replies": self._ids("replies", "id", other_case),
                    "target_accounts": self._ids("case_accounts", "account_id", keep_case),
                }
            when = timeutil.to_epoch(at or timeutil.now())
            cur = conn.execute(
                "INSERT INTO contact_links (keep_contact, other_contact, actor, linked_at, undo) "
                "VALUES (?, ?, ?, ?, '{}')", [keep, other, actor or self.me, when])
            link_id = int(cur.lastrowid or 0)

            conn.execute("UPDATE contact_handles SET contact_id = ? WHERE contact_id = ?",
                         [keep, other])
            conn.execute("UPDATE contacts SET merged_into = ? WHERE id = ?", [keep, other])
            conn.execute("UPDATE contacts SET merged_into = ? WHERE merged_into = ?", [keep, other])
            conn.execute("UPDATE cases SET contact_id = ? WHERE contact_id = ?", [keep, other])
            if undo["case_merge"]:
                self._merge_case_into(other_case, keep_case, actor=actor, at=at)  # type: ignore[arg-type]
            said = (f"{', '.join(handle_text(p, h) for _, p, h in handles)} is the same person "
                    f"as {names[keep] or 'this customer'}")
            detail = {"link_id": link_id, "keep_contact": keep, "other_contact": other}
            touched = self._link_event_cases(keep, undo["other_cases"])
            for case_id in touched:
                self._event(case_id, "contact_linked", actor=actor, after=said, detail=detail,
                            at=at)
            undo["last_event"] = conn.execute(
                "SELECT coalesce(max(id), 0) FROM case_events").fetchone()[0]
            conn.execute("UPDATE contact_links SET undo = ? WHERE id = ?", [_json(undo), link_id])
        return link_id, Changes(cases=True, messages=True, case_ids=frozenset(
            touched | set(undo["other_cases"]) | set(undo["keep_cases"])))

    def unlink_contacts(self, link_id: int, *, actor: str | None = None,
                        at: dt.datetime | None = None) -> Changes:
        """Split a link: the handles, messages and cases go back to the other contact.

        Unlinking right after linking puts every row back as it was (the timeline
        keeps both events).  When the customer wrote or the team acted in between,
        the other handles' messages since the link, and replies to them, go back with
        them, and the two cases' counts and waiting times are worked out again.
        """
        conn = self.db.conn
        with self.atomic():
            row = conn.execute("SELECT keep_contact, other_contact, unlinked_at, undo "
                               "FROM contact_links WHERE id = ?", [link_id]).fetchone()
            if row is None:
                raise NotFoundError(f"There is no contact link #{link_id}.")
            keep, other, unlinked, undo_text = row
            if unlinked is not None:
                raise KnownError(f"Link #{link_id} was already undone.")
            later = conn.execute(
                "SELECT id FROM contact_links WHERE other_contact = ? AND unlinked_at IS NULL "
                "AND id > ?", [keep, link_id]).fetchone()
            if later is not None:
                raise KnownError(f"This customer was linked to another one afterwards: "
                                 f"unlink #{later[0]} first.")
            undo = json.loads(undo_text)
            names = [tuple(x) for x in undo["handle_names"]]
            other_cases = list(undo["other_cases"])
            mark_ids = ",".join(str(int(i)) for i in undo["handles"]) or "NULL"
            conn.execute(f"UPDATE contact_handles SET contact_id = ? WHERE id IN ({mark_ids})",
                         [other])
            conn.execute("UPDATE contacts SET merged_into = NULL WHERE id = ?", [other])
            for cid in undo["redirected"]:
                conn.execute("UPDATE contacts SET merged_into = ? WHERE id = ?", [other, cid])
            # Messages that arrived since the link were filed under the kept contact.
            for platform, handle in names:
                conn.execute("UPDATE messages SET contact_id = ? WHERE contact_id = ? AND "
                             "direction = 'in' AND platform = ? AND author_handle = ?",
                             [other, keep, platform, handle])
            touched = set(other_cases)
            merge = undo["case_merge"]
            if merge:
                touched |= self._split_case(merge, other=other, last_message=undo["last_message"],
                                            last_event=undo["last_event"], actor=actor, at=at,
                                            link_id=link_id)
            for case_id in other_cases:
                conn.execute("UPDATE cases SET contact_id = ? WHERE id = ?", [other, case_id])
            # Cases opened since the link that hold only the other handles' messages.
            known = set(undo["keep_cases"]) | set(other_cases)
            for (case_id,) in conn.execute(
                    "SELECT id FROM cases WHERE contact_id = ? ORDER BY id", [keep]).fetchall():
                if case_id in known:
                    continue
                authors = {r[0] for r in conn.execute(
                    "SELECT m.contact_id FROM case_messages cm JOIN messages m "
                    "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.direction = 'in'",
                    [case_id])}
                if authors == {other}:
                    conn.execute("UPDATE cases SET contact_id = ? WHERE id = ?", [other, case_id])
                    other_cases.append(case_id)
                    touched.add(case_id)
            said = f"{', '.join(handle_text(p, h) for p, h in names)} is a different person"
            detail = {"link_id": link_id, "keep_contact": keep, "other_contact": other}
            for case_id in self._link_event_cases(keep, other_cases):
                self._event(case_id, "contact_unlinked", actor=actor, after=said, detail=detail,
                            at=at)
                touched.add(case_id)
            conn.execute("UPDATE contact_links SET unlinked_at = ? WHERE id = ?",
                         [timeutil.to_epoch(at or timeutil.now()), link_id])
        return Changes(cases=True, messages=True, case_ids=frozenset(touched))

    def _split_case(self, merge: dict[str, Any], *, other: int, last_message: int,
                    last_event: int, actor: str | None, at: dt.datetime | None,
                    link_id: int) -> set[int]:
        """Undo one case merge: the other contact's messages and work go back to their case."""
        conn = self.db.conn
        src, tgt = int(merge["source"]), int(merge["target"])
        back = set(merge["messages"])
        # Since the link: the other handles' messages, and our replies to them.
        back |= {r[0] for r in conn.execute(
            "SELECT m.id FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
            "WHERE cm.case_id = ? AND m.id > ? AND m.direction = 'in' AND m.contact_id = ?",
            [tgt, last_message, other])}
        remote = {r[0] for chunk in _chunks(sorted(back), 500) for r in conn.execute(
            f"SELECT remote_id FROM messages WHERE id IN ({','.join('?' * len(chunk))})", chunk)}
        back |= {r[0] for r in conn.execute(
            "SELECT m.id, m.in_reply_to FROM case_messages cm JOIN messages m "
            "ON m.id = cm.message_id WHERE cm.case_id = ? AND m.id > ? AND m.direction = 'out'",
            [tgt, last_message]) if r[1] in remote}
        quiet = {tgt: self._quiet_since(tgt, last_event), src: self._quiet_since(src, last_event)}
        new_since_link = any(m > last_message for m in back)
        for chunk in _chunks(sorted(back), 500):
            conn.execute(f"UPDATE case_messages SET case_id = ? WHERE message_id IN "
                         f"({','.join('?' * len(chunk))})", [src, *chunk])
        replies = set(merge["replies"]) | {r[0] for r in conn.execute(
            "SELECT id, in_reply_to_message_id FROM replies WHERE case_id = ?", [tgt])
            if r[1] in back}
        for table, ids in (("notes", merge["notes"]), ("checklist_items", merge["checklist"]),
                           ("replies", sorted(replies))):
            for chunk in _chunks(list(ids), 500):
                conn.execute(f"UPDATE {table} SET case_id = ? WHERE case_id = ? AND id IN "
                             f"({','.join('?' * len(chunk))})", [src, tgt, *chunk])
        # The kept case keeps the accounts it had, plus those its messages still came on.
        keep_accounts = set(merge["target_accounts"]) | {r[0] for r in conn.execute(
            "SELECT DISTINCT m.account_id FROM case_messages cm JOIN messages m "
            "ON m.id = cm.message_id WHERE cm.case_id = ?", [tgt])}
        for (account_id,) in conn.execute("SELECT account_id FROM case_accounts WHERE case_id = ?",
                                          [tgt]).fetchall():
            if account_id not in keep_accounts:
                conn.execute("DELETE FROM case_accounts WHERE case_id = ? AND account_id = ?",
                             [tgt, account_id])
        conn.execute("INSERT OR IGNORE INTO case_accounts (case_id, account_id) "
                     "SELECT DISTINCT ?, m.account_id FROM case_messages cm JOIN messages m "
                     "ON m.id = cm.message_id WHERE cm.case_id = ?", [src, src])
        # Rows back as they were; worked out again where something happened since.
        self._restore_case(merge["source_row"])
        if new_since_link or not quiet[src]:
            self._rederive(src)
        if quiet[tgt] and not new_since_link:
            self._restore_case(merge["target_row"])
        else:
            conn.execute("UPDATE cases SET opened_at = ? WHERE id = ?",
                         [merge["target_row"]["opened_at"], tgt])
            self._rederive(tgt)
        detail = {"link_id": link_id}
        self._event(tgt, "case_split", actor=actor, at=at, detail={**detail, "to_case": src},
                    after=f"the other person's messages went back to case #{src}")
        self._event(src, "case_split", actor=actor, at=at, detail={**detail, "from_case": tgt},
                    after=f"taken back out of case #{tgt}")
        return {src, tgt}

    def _live_case(self, contact: int) -> int | None:
        row = self.db.conn.execute(
            "SELECT id FROM cases WHERE contact_id = ? AND merged_into IS NULL "
            f"AND {status_not_in('status', FINISHED_STATUSES)} ORDER BY id DESC LIMIT 1",
            [contact]).fetchone()
        return int(row[0]) if row else None

    def _link_event_cases(self, keep: int, other_cases: Sequence[int]) -> set[int]:
        """Where a link or unlink is written: the kept contact's current case and the
        other contact's cases that were not merged away."""
        conn = self.db.conn
        out = set()
        row = conn.execute("SELECT max(id) FROM cases WHERE contact_id = ? AND merged_into IS NULL",
                           [keep]).fetchone()
        if row and row[0]:
            out.add(int(row[0]))
        for case_id in other_cases:
            merged = conn.execute("SELECT merged_into FROM cases WHERE id = ?",
                                  [case_id]).fetchone()
            if merged and merged[0] is None:
                out.add(case_id)
        return out

    def _ids(self, table: str, column: str, case_id: int) -> list[int]:
        return [r[0] for r in self.db.conn.execute(
            f"SELECT {column} FROM {table} WHERE case_id = ? ORDER BY {column}", [case_id])]

    def _case_snapshot(self, case_id: int) -> dict[str, Any]:
        cur = self.db.conn.execute("SELECT * FROM cases WHERE id = ?", [case_id])
        return dict(zip([d[0] for d in cur.description], cur.fetchone()))

    def _restore_case(self, row: dict[str, Any]) -> None:
        cols = [c for c in row if c != "id"]
        self.db.conn.execute(f"UPDATE cases SET {', '.join(f'{c} = ?' for c in cols)} "
                             f"WHERE id = ?", [*(row[c] for c in cols), row["id"]])

    def _quiet_since(self, case_id: int, last_event: int) -> bool:
        """No timeline entry on the case since the link was made."""
        return self.db.conn.execute("SELECT 1 FROM case_events WHERE case_id = ? AND id > ?",
                                    [case_id, last_event]).fetchone() is None

    def _rederive(self, case_id: int) -> None:
        """Counts, preview, mood and waiting time from the messages the case holds now."""
        conn = self.db.conn
        msgs = conn.execute(
            "SELECT m.direction, m.created_at, m.platform, m.text, m.sentiment "
            "FROM case_messages cm JOIN messages m ON m.id = cm.message_id "
            "WHERE cm.case_id = ? ORDER BY m.created_at, m.id", [case_id]).fetchall()
        status, opened, due = conn.execute(
            "SELECT status, opened_at, followup_due_at FROM cases WHERE id = ?",
            [case_id]).fetchone()
        inbound = [m for m in msgs if m[0] == "in"]
        waiting = None
        for direction, created, *_ in msgs:  # the first customer message since our last reply
            if direction == "out":
                waiting = None
            elif waiting is None:
                waiting = created
        if status not in {str(s) for s in OPEN_STATUSES}:
            waiting = None
        last = max([m[1] for m in msgs], default=opened)
        conn.execute(
            "UPDATE cases SET message_count = ?, last_activity_at = ?, platforms = ?, "
            "preview = ?, sentiment = ?, waiting_since = ?, sort_key = ?, last_inbound_at = ? "
            "WHERE id = ?",
            [len(msgs), last, ",".join(sorted({m[2] for m in msgs})),
             inbound[-1][3][:300] if inbound else "", inbound[-1][4] if inbound else None,
             waiting, sort_key_for(waiting, last, due),
             inbound[-1][1] if inbound else None, case_id])


__all__ = ["ContactLink", "ContactSummary", "ContactsPart", "LinkSuggestion", "handle_key"]
