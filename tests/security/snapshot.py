"""What a refused request must leave untouched: every row of every table, and every file in UPLOAD_DIR."""
import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from tracker.extensions import db


@dataclass(frozen=True)
class Snapshot:
    tables: dict[str, tuple]
    files: dict[str, str]

    def changes_since(self, before: "Snapshot") -> list[str]:
        """Readable differences: "task: 14 rows → 14 rows (content changed)", "file added: pending/x.json"."""
        changes = []
        for name, rows in self.tables.items():
            old = before.tables.get(name, ())
            if rows != old:
                what = "content changed" if len(rows) == len(old) else "rows added or removed"
                changes.append(f"{name}: {len(old)} rows → {len(rows)} rows ({what})")
        for path in sorted(set(self.files) | set(before.files)):
            if path not in before.files:
                changes.append(f"file added: {path}")
            elif path not in self.files:
                changes.append(f"file removed: {path}")
            elif self.files[path] != before.files[path]:
                changes.append(f"file changed: {path}")
        return changes


def take(app) -> Snapshot:
    """Read through the session the views use (the test's app context is shared with the requests), flushed
    first, so that a change a view made without committing shows too."""
    session = db.session
    session.flush()
    tables = {}
    for table in db.metadata.sorted_tables:
        rows = session.execute(select(table).order_by(*table.primary_key.columns)).all()
        tables[table.name] = tuple(tuple(row) for row in rows)
    root = Path(app.config["UPLOAD_DIR"])
    files = {}
    if root.exists():
        for path in sorted(root.rglob("*")):
            if path.is_file():
                files[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return Snapshot(tables, files)
