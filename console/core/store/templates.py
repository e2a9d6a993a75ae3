"""Store part: reply templates (built-in and the user's)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from console.core import timeutil
from console.core.changes import Changes
from console.core.errors import KnownError, NotFoundError
from console.core.ids import TemplateId
from console.core.models import TemplateRecord
from console.core.store.base import StoreBase
from console.core.store.rows import _template


class TemplatesPart(StoreBase):
    """Templates: seed, list, save, delete, count use."""

    def seed_templates(self, templates: Iterable[dict[str, Any]]) -> Changes:
        """Load built-in templates (by slug) without touching the user's edits."""
        now = timeutil.to_epoch(timeutil.now())
        changed = False
        with self.db.atomic():
            for t in templates:
                cur = self.db.conn.execute(
                    "INSERT INTO templates (slug, title, body, category, platforms, tags, builtin, "
                    "created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?) "
                    "ON CONFLICT (slug) DO NOTHING",
                    [t["slug"], t["title"], t["body"], t.get("category", ""),
                     ",".join(t.get("platforms", ())), ",".join(t.get("tags", ())), now, now])
                changed = changed or cur.rowcount > 0
        return Changes(templates=changed)

    def templates(self) -> list[TemplateRecord]:
        return [_template(r) for r in self.db.conn.execute(
            "SELECT id, slug, title, body, category, platforms, tags, builtin, usage_count "
            "FROM templates ORDER BY usage_count DESC, title")]

    def template(self, template_id: TemplateId) -> TemplateRecord:
        row = self.db.conn.execute(
            "SELECT id, slug, title, body, category, platforms, tags, builtin, usage_count "
            "FROM templates WHERE id = ?", [template_id]).fetchone()
        if row is None:
            raise NotFoundError(f"There is no template #{template_id}.")
        return _template(row)

    def save_template(self, *, title: str, body: str, category: str = "",
                      tags: Sequence[str] = (), platforms: Sequence[str] = (),
                      template_id: TemplateId | None = None) -> tuple[TemplateId, Changes]:
        title = title.strip()
        if not title or not body.strip():
            raise KnownError("A template needs a title and a text.")
        now = timeutil.to_epoch(timeutil.now())
        with self.db.atomic():
            if template_id is None:
                base = "".join(ch if ch.isalnum() else "-" for ch in title.lower()).strip("-")
                slug = f"user-{base or 'template'}"
                n = 1
                while self.db.conn.execute("SELECT 1 FROM templates WHERE slug = ?",
                                           [slug]).fetchone():
                    n += 1
                    slug = f"user-{base}-{n}"
                cur = self.db.conn.execute(
                    "INSERT INTO templates (slug, title, body, category, platforms, tags, "
                    "builtin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)",
                    [slug, title, body, category, ",".join(platforms), ",".join(tags), now, now])
                template_id = TemplateId(int(cur.lastrowid or 0))
            else:
                self.db.conn.execute(
                    "UPDATE templates SET title = ?, body = ?, category = ?, platforms = ?, "
                    "tags = ?, updated_at = ? WHERE id = ?",
                    [title, body, category, ",".join(platforms), ",".join(tags), now,
                     template_id])
        return template_id, Changes(templates=True)

    def delete_template(self, template_id: TemplateId) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE replies SET template_id = NULL WHERE template_id = ?",
                                 [template_id])
            self.db.conn.execute("DELETE FROM templates WHERE id = ?", [template_id])
        return Changes(templates=True)

    def count_template_use(self, template_id: TemplateId) -> Changes:
        with self.db.atomic():
            self.db.conn.execute("UPDATE templates SET usage_count = usage_count + 1 "
                                 "WHERE id = ?", [template_id])
        return Changes(templates=True)
