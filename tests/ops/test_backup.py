"""`tracker backup` while the app writes, `tracker restore` into a fresh database: every task, update,
evidence file and audit event of the snapshot comes back, each update with its evidence and audit row.

Runs on SQLite by default and on PostgreSQL with TRACKER_TEST_DB=postgresql (restored into a database of
its own, dropped at the end).
"""
import hashlib
import json
import threading
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from config import TestConfig
from tests.factories import make_task, make_unit, make_user
from tracker import create_app
from tracker.extensions import db as _db
from tracker.models import AuditEvent, Evidence, ProgressUpdate, Task, UpdateKind
from tracker.models.types import utcnow
from tracker.ops.backup import MANIFEST, BackupError, restore

TASKS = 6


def _seed(session, upload_dir: Path) -> list[int]:
    unit = make_unit(session)
    owner = make_user(session, unit=unit)
    tasks = [make_task(session, unit, owner=owner, text=f"问题{i}") for i in range(TASKS)]
    session.flush()
    for task in tasks:
        _write_update(session, task.id, owner.id, upload_dir, "初始进展")
    session.commit()
    return [task.id for task in tasks]


def _write_update(session, task_id: int, author_id: int | None, upload_dir: Path, body: str) -> int:
    """One update with its evidence file and audit event, in one transaction (the file first, as the app)."""
    data = f"{body}-{uuid.uuid4().hex}".encode()
    stored = f"{uuid.uuid4().hex}.txt"
    upload_dir.mkdir(parents=True, exist_ok=True)
    (upload_dir / stored).write_bytes(data)
    update = ProgressUpdate(task_id=task_id, author_id=author_id, kind=UpdateKind.PROGRESS, body=body)
    session.add(update)
    session.flush()
    session.add(Evidence(task_id=task_id, update_id=update.id, original_name="佐证.txt", stored_name=stored,
                         content_type="text/plain", size=len(data), sha256=hashlib.sha256(data).hexdigest()))
    session.add(AuditEvent(at=utcnow(), entity_type="progress_update", entity_id=update.id, task_id=task_id,
                           action="post_update", note=body))
    return update.id


class Writer(threading.Thread):
    """Keeps posting updates through the app's own session until stopped."""

    def __init__(self, app, task_ids, upload_dir):
        super().__init__(daemon=True)
        self.app, self.task_ids, self.upload_dir = app, task_ids, upload_dir
        self.committed: list[int] = []
        self.stop = threading.Event()
        self.started_writing = threading.Event()
        self.error = None

    def run(self):
        try:
            with self.app.app_context():
                while not self.stop.is_set():
                    task_id = self.task_ids[len(self.committed) % len(self.task_ids)]
                    update_id = _write_update(_db.session, task_id, None, self.upload_dir, "并发写入")
                    _db.session.commit()
                    self.committed.append(update_id)
                    if len(self.committed) >= 5:
                        self.started_writing.set()
                _db.session.remove()
        except Exception as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
            self.started_writing.set()


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """An empty database of the same kind: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.db'}"
        return
    url = make_url(database_url)
    name = f"restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url.set(query={}), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _restored_app(url: str, uploads: Path):
    class _Restored(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = str(uploads)

    return create_app(_Restored)


def _snapshot(session) -> dict:
    return {
        "tasks": set(session.scalars(select(Task.id))),
        "updates": set(session.scalars(select(ProgressUpdate.id))),
        "evidence": {row.stored_name: row.sha256 for row in session.scalars(select(Evidence))},
        "audit": set(session.scalars(select(AuditEvent.entity_id).where(AuditEvent.action == "post_update"))),
    }


def test_backup_while_writing_then_restore_into_fresh_database(app, db, tmp_path, fresh_database):
    uploads = Path(app.config["UPLOAD_DIR"])
    task_ids = _seed(db.session, uploads)
    writer = Writer(app, task_ids, uploads)
    writer.start()
    try:
        assert writer.started_writing.wait(30), "the writer never got going"
        before = set(db.session.scalars(select(ProgressUpdate.id)))  # committed before the backup began
        db.session.rollback()
        result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "backup")])
        during = len(writer.committed)
    finally:
        writer.stop.set()
        writer.join(30)
    assert writer.error is None, writer.error
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    assert during > 5  # the writer was still writing while the backup ran
    manifest = json.loads((tmp_path / "backup" / MANIFEST).read_text(encoding="utf-8"))

    restored_uploads = tmp_path / "restored-uploads"
    restored = _restored_app(fresh_database, restored_uploads)
    with restored.app_context():
        _db.engine.dispose()
        result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "backup")])
        assert result.exit_code == 0, result.output
        assert "已恢复" in result.output
        got = _snapshot(_db.session)
        counts = {t: _db.session.execute(text(f'SELECT count(*) FROM "{t}"')).scalar()
                  for t in manifest["row_counts"]}
        _db.session.remove()
        _db.engine.dispose()

    assert counts == manifest["row_counts"]
    assert got["tasks"] == set(task_ids)
    assert before <= got["updates"]  # everything committed before the backup is there
    assert got["audit"] == got["updates"]  # each update with the audit event of its own transaction
    assert len(got["evidence"]) == len(got["updates"])
    for stored_name, sha in got["evidence"].items():  # and each evidence row with its file, intact
        assert hashlib.sha256((restored_uploads / stored_name).read_bytes()).hexdigest() == sha


def test_restore_refuses_a_database_in_use(app, db, tmp_path):
    uploads = Path(app.config["UPLOAD_DIR"])
    _seed(db.session, uploads)
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    # Password hashes and evidence: the backup is its owner's only.
    assert {p.stat().st_mode & 0o777 for p in (tmp_path / "b").rglob("*") if p.is_file()} == {0o600}
    assert (tmp_path / "b").stat().st_mode & 0o777 == 0o700
    other_uploads = tmp_path / "other-uploads"
    config = dict(app.config, UPLOAD_DIR=str(other_uploads))
    with pytest.raises(BackupError, match="目标数据库不是空的"):
        restore(config, db.metadata, tmp_path / "b")
    assert not other_uploads.exists()  # nothing written
    tasks = db.session.scalar(select(func.count()).select_from(Task))
    assert tasks == TASKS


def test_restore_verifies_checksums_before_writing(app, db, tmp_path, fresh_database):
    _seed(db.session, Path(app.config["UPLOAD_DIR"]))
    assert app.test_cli_runner().invoke(args=["backup", str(tmp_path / "b")]).exit_code == 0
    evidence_file = next((tmp_path / "b" / "uploads").iterdir())
    evidence_file.write_bytes(b"tampered")
    restored = _restored_app(fresh_database, tmp_path / "restored-uploads")
    with restored.app_context():
        result = restored.test_cli_runner().invoke(args=["restore", str(tmp_path / "b")])
        assert result.exit_code == 2
        assert "校验和不符" in result.output
        assert _db.inspect(_db.engine).get_table_names() == []  # nothing restored
        _db.engine.dispose()


def test_backup_refuses_a_used_folder_and_restore_an_unfinished_backup(app, db, tmp_path):
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "used")])
    assert result.exit_code == 2 and "不是空的" in result.output
    (tmp_path / "half").mkdir()
    with pytest.raises(BackupError, match="不是完整的备份"):
        restore(app.config, db.metadata, tmp_path / "half")


@pytest.mark.postgres_only
def test_whole_database_backup_and_restore_on_postgresql(database_url, tmp_path):
    """The production shape: one database, tables in its public schema (no search_path option)."""
    base = make_url(database_url).set(query={})
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    names = [f"bk_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("src", "dst")]
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    source_url, target_url = (base.set(database=n).render_as_string(hide_password=False) for n in names)
    try:
        source = _restored_app(source_url, tmp_path / "src-uploads")
        with source.app_context():
            _db.create_all()
            task_ids = _seed(_db.session, tmp_path / "src-uploads")
            result = source.test_cli_runner().invoke(args=["backup", str(tmp_path / "whole")])
            assert result.exit_code == 0, result.output
            _db.session.remove()
            _db.engine.dispose()
        assert json.loads((tmp_path / "whole" / MANIFEST).read_text(encoding="utf-8"))["schema"] is None
        target = _restored_app(target_url, tmp_path / "dst-uploads")
        with target.app_context():
            result = target.test_cli_runner().invoke(args=["restore", str(tmp_path / "whole")])
            assert result.exit_code == 0, result.output
            got = _snapshot(_db.session)
            _db.session.remove()
            _db.engine.dispose()
        assert got["tasks"] == set(task_ids) and len(got["updates"]) == TASKS == len(got["evidence"])
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
