"""The workspace schema: forward-only, append-only migrations (never edit an applied one)."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATION_SET = "console"
migrations = Migrations(MIGRATION_SET)


def _execute_script(db: Database, script: str) -> None:
    """Run statements one by one.

    ``executescript`` would COMMIT the migration's open transaction first, so a
    failing step could leave a half-migrated file behind.
    """
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement and statement != ";":
                db.execute(statement)
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement in migration: {buffer[:80]!r}")


@migrations(name="m001_create_schema")
def m001_create_schema(db: Database) -> None:
    _execute_script(
        db,
        """
        CREATE TABLE accounts (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            handle TEXT NOT NULL,
            display_name TEXT NOT NULL DEFAULT '',
            role TEXT NOT NULL DEFAULT '',
            server TEXT,
            voice_profile TEXT,
            timezone TEXT NOT NULL DEFAULT 'UTC',
            business_hours TEXT,
            cursor TEXT,
            last_sync_at INTEGER,
            last_error TEXT,
            created_at INTEGER NOT NULL,
            UNIQUE (platform, handle)
        );

        CREATE TABLE contacts (
            id INTEGER PRIMARY KEY,
            display_name TEXT NOT NULL DEFAULT '',
            merged_into INTEGER REFERENCES contacts(id),
            created_at INTEGER NOT NULL
        );

        CREATE TABLE contact_handles (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            platform TEXT NOT NULL,
            handle TEXT NOT NULL,
            remote_id TEXT,
            UNIQUE (platform, handle)
        );
        CREATE INDEX idx_contact_handles_contact ON contact_handles(contact_id);

        CREATE TABLE messages (
            id INTEGER PRIMARY KEY,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            platform TEXT NOT NULL,
            remote_id TEXT NOT NULL,
            direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
            kind TEXT NOT NULL,
            contact_id INTEGER REFERENCES contacts(id),
            author_handle TEXT NOT NULL,
            author_name TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            raw_markup TEXT,
            url TEXT,
            in_reply_to TEXT,
            thread_root TEXT,
            urls TEXT,
            media TEXT,
            extra TEXT,
            sentiment REAL,
            created_at INTEGER NOT NULL,
            UNIQUE (account_id, remote_id)
        );

        CREATE TABLE cases (
            id INTEGER PRIMARY KEY,
            contact_id INTEGER NOT NULL REFERENCES contacts(id),
            status TEXT NOT NULL CHECK (status IN ('new', 'open', 'waiting', 'resolved', 'closed')),
            owner TEXT NOT NULL,
            opened_at INTEGER NOT NULL,
            last_activity_at INTEGER NOT NULL,
            last_inbound_at INTEGER,
            waiting_since INTEGER,
            sort_key INTEGER NOT NULL,
            preview TEXT NOT NULL DEFAULT '',
            message_count INTEGER NOT NULL DEFAULT 0,
            platforms TEXT NOT NULL DEFAULT '',
            sentiment REAL,
            snoozed_until INTEGER,
            merged_into INTEGER REFERENCES cases(id)
        );
        CREATE INDEX idx_cases_sort ON cases(sort_key, id);
        CREATE INDEX idx_cases_status_sort ON cases(status, sort_key, id);
        CREATE INDEX idx_cases_contact ON cases(contact_id, status);

        CREATE TABLE case_messages (
            message_id INTEGER PRIMARY KEY REFERENCES messages(id),
            case_id INTEGER NOT NULL REFERENCES cases(id)
        );
        CREATE INDEX idx_case_messages_case ON case_messages(case_id);

        CREATE TABLE case_accounts (
            case_id INTEGER NOT NULL REFERENCES cases(id),
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            PRIMARY KEY (case_id, account_id)
        ) WITHOUT ROWID;
        CREATE INDEX idx_case_accounts_account ON case_accounts(account_id, case_id);

        CREATE TABLE case_events (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            at INTEGER NOT NULL,
            actor TEXT NOT NULL,
            kind TEXT NOT NULL,
            before TEXT,
            after TEXT,
            detail TEXT
        );
        CREATE INDEX idx_case_events_case ON case_events(case_id, id);
        -- The timeline is append-only: history is never rewritten.
        CREATE TRIGGER case_events_no_update BEFORE UPDATE ON case_events
        BEGIN SELECT RAISE(ABORT, 'the case timeline is append-only'); END;
        CREATE TRIGGER case_events_no_delete BEFORE DELETE ON case_events
        BEGIN SELECT RAISE(ABORT, 'the case timeline is append-only'); END;

        CREATE TABLE notes (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            author TEXT NOT NULL,
            body TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX idx_notes_case ON notes(case_id);

        CREATE TABLE checklist_items (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            text TEXT NOT NULL,
            source_message_id INTEGER REFERENCES messages(id),
            done INTEGER NOT NULL DEFAULT 0,
            done_at INTEGER,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX idx_checklist_case ON checklist_items(case_id);

        CREATE TABLE templates (
            id INTEGER PRIMARY KEY,
            slug TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            body TEXT NOT NULL,
            category TEXT NOT NULL DEFAULT '',
            platforms TEXT NOT NULL DEFAULT '',
            tags TEXT NOT NULL DEFAULT '',
            builtin INTEGER NOT NULL DEFAULT 0,
            usage_count INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );

        CREATE TABLE replies (
            id INTEGER PRIMARY KEY,
            case_id INTEGER NOT NULL REFERENCES cases(id),
            in_reply_to_message_id INTEGER REFERENCES messages(id),
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            body TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL CHECK (state IN ('draft', 'approved', 'sending', 'sent', 'failed')),
            template_id INTEGER REFERENCES templates(id),
            template_body TEXT,
            findings TEXT,
            override_reason TEXT,
            idempotency_key TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            error TEXT,
            sent_remote_id TEXT,
            sent_url TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            approved_at INTEGER,
            sent_at INTEGER
        );
        CREATE INDEX idx_replies_case ON replies(case_id);
        CREATE INDEX idx_replies_state ON replies(state, updated_at);

        CREATE TABLE settings (
            name TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """
    )
    # Full-text index over messages, kept in step by triggers.  Updating other
    # columns (sentiment, say) does not re-index the text.
    _execute_script(
        db,
        """
        CREATE VIRTUAL TABLE messages_fts USING FTS5 (
            text, author_handle, author_name,
            tokenize='unicode61 remove_diacritics 2',
            content=messages
        );
        CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN
          INSERT INTO messages_fts (rowid, text, author_handle, author_name)
          VALUES (new.id, new.text, new.author_handle, new.author_name);
        END;
        CREATE TRIGGER messages_ad AFTER DELETE ON messages BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text, author_handle, author_name)
          VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
        END;
        CREATE TRIGGER messages_au AFTER UPDATE OF text, author_handle, author_name ON messages
        BEGIN
          INSERT INTO messages_fts (messages_fts, rowid, text, author_handle, author_name)
          VALUES ('delete', old.id, old.text, old.author_handle, old.author_name);
          INSERT INTO messages_fts (rowid, text, author_handle, author_name)
          VALUES (new.id, new.text, new.author_handle, new.author_name);
        END;
        """,
    )


@migrations(name="m002_mood_order")
def m002_mood_order(db: Database) -> None:
    # The inbox can list the unhappiest customers first (unknown mood last).
    db.execute("CREATE INDEX idx_cases_mood ON cases(coalesce(sentiment, 2.0), id)")


@migrations(name="m003_snooze")
def m003_snooze(db: Database) -> None:
    # Follow-ups: snooze until a time or until the customer replies; a due
    # follow-up sorts to the top of the inbox until someone acts on it.
    db.execute("ALTER TABLE cases ADD COLUMN snooze_until_reply INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE cases ADD COLUMN followup_due_at INTEGER")
    db.execute("CREATE INDEX idx_cases_snoozed ON cases(snoozed_until) "
               "WHERE snoozed_until IS NOT NULL")


@migrations(name="m004_contact_evidence")
def m004_contact_evidence(db: Database) -> None:
    # One customer across platforms: what profiles say about other handles (for
    # suggestions), the suggestions the user dismissed, and every link the user
    # made with what unlinking it puts back.
    _execute_script(
        db,
        """
        CREATE TABLE contact_evidence (
            platform TEXT NOT NULL,
            handle TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('mention', 'verified_link')),
            value TEXT NOT NULL,
            seen_at INTEGER NOT NULL,
            PRIMARY KEY (platform, handle, kind, value)
        ) WITHOUT ROWID;
        CREATE INDEX idx_contact_evidence_value ON contact_evidence(kind, value);
        CREATE INDEX idx_contact_handles_lower ON contact_handles(platform, lower(handle));

        CREATE TABLE contact_link_dismissals (
            a TEXT NOT NULL,
            b TEXT NOT NULL,
            actor TEXT NOT NULL,
            dismissed_at INTEGER NOT NULL,
            PRIMARY KEY (a, b)
        ) WITHOUT ROWID;

        CREATE TABLE contact_links (
            id INTEGER PRIMARY KEY,
            keep_contact INTEGER NOT NULL REFERENCES contacts(id),
            other_contact INTEGER NOT NULL REFERENCES contacts(id),
            actor TEXT NOT NULL,
            linked_at INTEGER NOT NULL,
            unlinked_at INTEGER,
            undo TEXT NOT NULL
        );
        CREATE INDEX idx_contact_links_other ON contact_links(other_contact);
        """,
    )


@migrations(name="m005_reply_visibility")
def m005_reply_visibility(db: Database) -> None:
    # "Continue in a direct message": a reply to a public post can go out privately
    # ('direct'); NULL keeps the visibility of the message it answers.
    db.execute("ALTER TABLE replies ADD COLUMN visibility TEXT")


# A message with a non-ASCII character in its text or author name (bytes > characters): the
# only ones an emoji, CJK or Thai search can find.  One spelling for the triggers, the
# partial index and the store's queries (SQLite uses a partial index only for its own
# condition).
WIDE_MESSAGE = ("length(CAST({0}.text || {0}.author_name AS BLOB)) > "
                "length({0}.text || {0}.author_name)")


@migrations(name="m006_search_trigram")
def m006_search_trigram(db: Database) -> None:
    # Search finds what users see: the word index (unicode61) drops emoji and reads a
    # CJK or Thai sentence as one token, so a trigram index beside it finds substrings
    # of three characters or more.  Only messages with a non-ASCII character are in it:
    # the store asks it only for substrings of emoji and scripts without spaces (never
    # ASCII), so plain-ASCII messages would only cost ingest time and disk.  detail=none
    # (no positions) keeps it small: the store asks for every trigram of a substring and
    # checks the text itself, so the index only narrows the candidates.
    wide = WIDE_MESSAGE
    _execute_script(
        db,
        f"""
        CREATE VIRTUAL TABLE messages_trigram USING FTS5 (
            text, author_name,
            tokenize='trigram', detail=none,
            content=messages
        );
        CREATE TRIGGER messages_trigram_ai AFTER INSERT ON messages WHEN {wide.format("new")}
        BEGIN
          INSERT INTO messages_trigram (rowid, text, author_name)
          VALUES (new.id, new.text, new.author_name);
        END;
        CREATE TRIGGER messages_trigram_ad AFTER DELETE ON messages WHEN {wide.format("old")}
        BEGIN
          INSERT INTO messages_trigram (messages_trigram, rowid, text, author_name)
          VALUES ('delete', old.id, old.text, old.author_name);
        END;
        CREATE TRIGGER messages_trigram_au_old AFTER UPDATE OF text, author_name ON messages
        WHEN {wide.format("old")}
        BEGIN
          INSERT INTO messages_trigram (messages_trigram, rowid, text, author_name)
          VALUES ('delete', old.id, old.text, old.author_name);
        END;
        CREATE TRIGGER messages_trigram_au_new AFTER UPDATE OF text, author_name ON messages
        WHEN {wide.format("new")}
        BEGIN
          INSERT INTO messages_trigram (rowid, text, author_name)
          VALUES (new.id, new.text, new.author_name);
        END;
        INSERT INTO messages_trigram (rowid, text, author_name)
        SELECT m.id, m.text, m.author_name FROM messages m WHERE {wide.format("m")};
        -- Search reads these messages' text for emoji or two CJK characters (too short
        -- for the trigram index): the list of them, not the whole table.
        CREATE INDEX idx_messages_wide ON messages(id) WHERE {wide.format("messages")};
        """,
    )
