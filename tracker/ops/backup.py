"""`tracker backup DIR` and `tracker restore DIR`.

A backup folder holds the database (SQLite: a copy made with sqlite3's online backup API, consistent while
the web app and the scheduler write; PostgreSQL: pg_dump's custom format), the uploaded evidence
(uploads/), and manifest.json with the sha256 of every file and the row count of every table. The manifest
is written last, so a folder without one is an interrupted backup, and restore refuses it.

The row counts are taken in the very snapshot that is backed up (the copied SQLite file; on PostgreSQL a
REPEATABLE READ transaction whose snapshot pg_dump --snapshot uses), so restore can prove it got them all.
The database is copied before the files: every Evidence row in the copy has its file, because the app
writes a file before it commits its row.

Restore writes only into an empty database and an empty upload folder: it never merges or overwrites.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

MANIFEST = "manifest.json"
FORMAT = 1
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS = "uploads"


class BackupError(RuntimeError):
    """A refusal with a message for the operator (Chinese, then English)."""


def _tables(metadata) -> list[str]:
    return [table.name for table in metadata.sorted_tables]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- where the database is ----------------------------------------------------------------------------------

def sqlite_path(url: str, instance_dir: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("内存数据库无法备份 / an in-memory SQLite database cannot be backed up")
    path = Path(database)
    return path if path.is_absolute() else Path(instance_dir) / path  # Flask-SQLAlchemy's own rule


def libpq_target(url: str) -> tuple[str, dict, str | None]:
    """(libpq URI without password, environment with PGPASSWORD, schema named by search_path or None)."""
    parsed = make_url(url)
    env = dict(os.environ)
    if parsed.password:
        env["PGPASSWORD"] = str(parsed.password)  # never on the command line, where `ps` shows it
    schema = None
    options = parsed.query.get("options") or ""
    for part in (options if isinstance(options, str) else " ".join(options)).split():
        if part.startswith("-csearch_path="):
            schema = part.split("=", 1)[1].split(",")[0].strip() or None
    uri = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env, schema


def _run(command: list[str], env: dict) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BackupError(f"找不到 {command[0]}：请安装 postgresql-client（与数据库服务器同一主版本）"
                          f" / {command[0]} not found: install postgresql-client") from None
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} 失败 / failed（{result.returncode}）：{result.stderr.strip()[-2000:]}")


# --- backup -------------------------------------------------------------------------------------------------

def backup(config, metadata, target: Path) -> dict:
    target = Path(target)
    if target.exists() and any(target.iterdir()):
        raise BackupError(f"备份目录 {target} 不是空的：请给每次备份一个新目录 / the backup folder must be new or empty")
    target.mkdir(parents=True, exist_ok=True)
    url = config["SQLALCHEMY_DATABASE_URI"]
    if url.startswith("sqlite"):
        database = _backup_sqlite(sqlite_path(url, config["INSTANCE_DIR"]), target / SQLITE_FILE, metadata)
    elif url.startswith("postgresql"):
        database = _backup_postgres(config, url, target / PG_FILE, metadata)
    else:
        raise BackupError(f"不支持的数据库 / unsupported database: {make_url(url).drivername}")
    files = _copy_uploads(Path(config["UPLOAD_DIR"]), target / UPLOADS)
    manifest = {"format": FORMAT, "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "app_version": _app_version(), **database,
                "files": [_entry(target, path) for path in [target / database["database_file"], *files]]}
    _owner_only(target)
    partial = target / (MANIFEST + ".part")
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    os.chmod(partial, 0o600)
    os.replace(partial, target / MANIFEST)  # last: a folder with a manifest is a finished backup
    return manifest


def _backup_sqlite(source: Path, copy: Path, metadata) -> dict:
    if not source.exists():
        raise BackupError(f"数据库文件不存在 / database file not found: {source}")
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(copy)
    try:
        src.backup(dst)  # one step: a consistent snapshot even while others write (WAL)
    finally:
        src.close()
    try:
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        counts = {name: dst.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
                  for name in _tables(metadata) if _sqlite_has(dst, name)}
        revision = _sqlite_revision(dst)
    finally:
        dst.close()
    return {"database_kind": "sqlite", "database_file": SQLITE_FILE, "row_counts": counts,
            "alembic_revision": revision}


def _sqlite_has(conn, table: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (table,)).fetchone() is not None


def _sqlite_revision(conn) -> str | None:
    if not _sqlite_has(conn, "alembic_version"):
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return row[0] if row else None


def _backup_postgres(config, url: str, dump: Path, metadata) -> dict:
    uri, env, schema = libpq_target(url)
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            with conn.begin():
                snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
                present = set(inspect(conn).get_table_names())
                counts = {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                          for name in _tables(metadata) if name in present}
                revision = (conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                            if "alembic_version" in present else None)
                # pg_dump reads the snapshot of this open transaction: the counts above are of what it dumps.
                command = [config.get("PG_DUMP") or "pg_dump", "--format=custom", f"--snapshot={snapshot}",
                           f"--file={dump}", f"--dbname={uri}"]
                if schema:
                    command.append(f"--schema={schema}")
                _run(command, env)
    finally:
        engine.dispose()
    return {"database_kind": "postgresql", "database_file": PG_FILE, "schema": schema, "row_counts": counts,
            "alembic_revision": revision}


def _owner_only(root: Path) -> None:
    """A backup holds password hashes and every unit's evidence: readable by its owner only."""
    os.chmod(root, 0o700)
    for path in root.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)


def _copy_uploads(source: Path, target: Path) -> list[Path]:
    target.mkdir()
    copied = []
    if not source.is_dir():
        return copied
    for path in sorted(source.rglob("*")):
        if path.is_file():
            destination = target / path.relative_to(source)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, destination)
            copied.append(destination)
    return copied


def _entry(root: Path, path: Path) -> dict:
    return {"path": path.relative_to(root).as_posix(), "size": path.stat().st_size, "sha256": sha256_of(path)}


def _app_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("rectification-tracker")
    except PackageNotFoundError:
        return "unknown"


# --- restore ------------------------------------------------------------------------------------------------

def read_manifest(source: Path) -> dict:
    path = Path(source) / MANIFEST
    if not path.exists():
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是完整的备份（备份可能中断） / not a finished backup")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')} 无法识别 / unknown backup format")
    return manifest


def verify(source: Path, manifest: dict) -> None:
    """Every file the manifest lists, with its size and sha256, before anything is written."""
    bad = []
    for entry in manifest["files"]:
        path = Path(source) / entry["path"]
        if ".." in Path(entry["path"]).parts or Path(entry["path"]).is_absolute():
            bad.append(f"{entry['path']}（路径非法）")
        elif not path.is_file():
            bad.append(f"{entry['path']}（缺失）")
        elif path.stat().st_size != entry["size"] or sha256_of(path) != entry["sha256"]:
            bad.append(f"{entry['path']}（校验和不符）")
    if bad:
        raise BackupError("备份文件校验失败，未恢复任何数据 / checksum verification failed, nothing restored："
                          + "；".join(bad[:20]))


def restore(config, metadata, source: Path) -> dict:
    source = Path(source)
    manifest = read_manifest(source)
    verify(source, manifest)
    url = config["SQLALCHEMY_DATABASE_URI"]
    kind = "sqlite" if url.startswith("sqlite") else "postgresql" if url.startswith("postgresql") else "?"
    if kind != manifest["database_kind"]:
        raise BackupError(f"备份来自 {manifest['database_kind']}，当前数据库是 {kind}：无法直接恢复"
                          f" / a {manifest['database_kind']} backup cannot be restored into {kind}")
    uploads = Path(config["UPLOAD_DIR"])
    if uploads.exists() and any(p.is_file() for p in uploads.rglob("*")):
        raise BackupError(f"上传目录 {uploads} 中已有文件：恢复只写入空目录 / the upload folder is not empty")
    _refuse_non_empty(url)
    database = source / manifest["database_file"]
    if kind == "sqlite":
        _restore_sqlite(database, sqlite_path(url, config["INSTANCE_DIR"]))
    else:
        uri, env, _schema = libpq_target(url)
        _run([config.get("PG_RESTORE") or "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error",
              f"--dbname={uri}", str(database)], env)
    found = _row_counts(url, metadata)
    missing = {t: (n, found.get(t)) for t, n in manifest["row_counts"].items() if found.get(t) != n}
    if missing:
        raise BackupError("恢复后行数与备份清单不符 / row counts differ after restore："
                          + "；".join(f"{t} 应为{n}行，实为{m}行" for t, (n, m) in missing.items()))
    for entry in manifest["files"]:
        if entry["path"].startswith(UPLOADS + "/"):
            destination = uploads / entry["path"][len(UPLOADS) + 1:]
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / entry["path"], destination)
    return {"row_counts": found, "files": sum(e["path"].startswith(UPLOADS + "/") for e in manifest["files"]),
            "alembic_revision": manifest.get("alembic_revision")}


def _refuse_non_empty(url: str) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = inspect(conn).get_table_names()
    finally:
        engine.dispose()
    if tables:
        shown = "、".join(sorted(tables)[:8]) + ("……" if len(tables) > 8 else "")
        raise BackupError(f"目标数据库不是空的（已有 {len(tables)} 张表：{shown}）。恢复只写入空数据库，以免覆盖现有数据："
                          "请新建一个空数据库（SQLite：换一个文件名；PostgreSQL：createdb）并把 TRACKER_DATABASE_URL 指向它"
                          f" / the target database is not empty ({len(tables)} tables): restore only into an empty one")


def _restore_sqlite(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{backup_file}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        src.close()
        dst.close()


def _row_counts(url: str, metadata) -> dict:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            present = set(inspect(conn).get_table_names())
            return {name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar()
                    for name in _tables(metadata) if name in present}
    finally:
        engine.dispose()
