"""佐证材料: checking uploaded files by their content, storing them under generated names, finding them again.

Files live in the UPLOAD_DIR setting, outside static/, named by a uuid: the original name is only
kept in the database and given back as the download name.
"""
import hashlib
import io
import uuid
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from tracker.models import Evidence, ProgressUpdate, Task, User
from tracker.services import audit
from tracker.services.errors import DomainError
from tracker.services.safe_files import ensure_dir, write_atomic

ALLOWED_EXTENSIONS = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ALLOWED_LABEL = "PDF、Word（.docx）、Excel（.xlsx）、JPG、PNG"
MAX_FILES_PER_UPDATE = 10


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed every check, held in memory until it is stored."""

    original_name: str
    extension: str
    content_type: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


def _zip_has(data: bytes, member: str) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return member in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def content_matches(extension: str, data: bytes) -> bool:
    """True when the bytes really are the kind of file the name says."""
    if extension == ".pdf":
        return data.startswith(b"%PDF-")
    if extension == ".png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in (".jpg", ".jpeg"):
        return data.startswith(b"\xff\xd8\xff")
    if extension == ".docx":
        return data.startswith(b"PK") and _zip_has(data, "word/document.xml")
    if extension == ".xlsx":
        return data.startswith(b"PK") and _zip_has(data, "xl/workbook.xml")
    return False


def _clean_name(filename: str) -> str:
    # Browsers on Windows may send a full path; keep the last part, as the user knows the file by it.
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable() and ch not in '"\r\n')
    return name[-200:] or "file"


def check_upload(filename: str, stream, *, max_bytes: int) -> CheckedFile:
    """Reads one upload (at most max_bytes + 1 bytes) and raises DomainError saying what is wrong."""
    name = _clean_name(filename)
    extension = Path(name).suffix.lower()
    if extension not in ALLOWED_EXTENSIONS:
        raise DomainError(f"“{name}”的文件类型不支持，仅支持{ALLOWED_LABEL}")
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise DomainError(f"“{name}”超过大小上限 {format_size(max_bytes)}")
    if not data:
        raise DomainError(f"“{name}”是空文件")
    if not content_matches(extension, data):
        raise DomainError(f"“{name}”的内容与扩展名{extension}不符，请上传真实的{ALLOWED_LABEL}文件")
    return CheckedFile(name, extension, ALLOWED_EXTENSIONS[extension], data)


def check_uploads(files, *, max_bytes: int) -> tuple[list[CheckedFile], list[str]]:
    """(checked files, error messages); empty file inputs (no file chosen) are skipped."""
    checked, errors = [], []
    chosen = [f for f in files or [] if f is not None and getattr(f, "filename", "")]
    if len(chosen) > MAX_FILES_PER_UPDATE:
        return [], [f"一次最多上传 {MAX_FILES_PER_UPDATE} 个文件"]
    for upload in chosen:
        try:
            checked.append(check_upload(upload.filename, upload.stream, max_bytes=max_bytes))
        except DomainError as exc:
            errors.append(str(exc))
    return checked, errors


def format_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB".replace(".0 MB", " MB")
    if size >= 1024:
        return f"{size // 1024} KB"
    return f"{size} 字节"


def upload_dir(current) -> Path:
    return Path(current.upload_dir)


def attach(session, files: list[CheckedFile], *, task: Task, update: ProgressUpdate | None, actor: User,
           now: datetime, directory: Path) -> tuple[list[Evidence], list[Path]]:
    """Writes the files and adds their Evidence rows; returns the rows and the paths written.

    The caller commits, and on any failure calls discard(paths) so no orphan file is left behind. A full or
    read-only folder raises safe_files.StorageError after removing every file this call wrote (a file is
    written whole or not at all).
    """
    ensure_dir(directory)
    rows, written = [], []
    try:
        for checked in files:
            stored_name = f"{uuid.uuid4().hex}{checked.extension}"
            path = directory / stored_name
            write_atomic(path, checked.data)
            written.append(path)
            row = Evidence(task_id=task.id, update=update, original_name=checked.original_name,
                           stored_name=stored_name, content_type=checked.content_type, size=len(checked.data),
                           sha256=checked.sha256, uploaded_by_id=actor.id, uploaded_at=now)
            session.add(row)
            session.flush()
            audit.record(session, actor=actor, now=now, action="upload_evidence", entity=row,
                         after=checked.original_name)
            rows.append(row)
    except Exception:
        discard(written)
        raise
    return rows, written


def discard(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def stored_path(evidence: Evidence, directory: Path) -> Path | None:
    """The file on disk, or None when it is missing; never a path outside the upload directory."""
    path = (directory / evidence.stored_name).resolve()
    if path.parent != directory.resolve() or not path.is_file():
        return None
    return path
