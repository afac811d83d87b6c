"""Writing uploaded files so that a full or read-only disk leaves nothing behind.

A file is written to a temporary name in its own folder, flushed to the disk (fsync) and only then renamed
to its final name: a reader never sees half a file, and on any OSError (no space, quota, read-only
filesystem, permissions, file size limit) the temporary file is removed and StorageError is raised, so the
caller rolls its transaction back and the web layer (tracker.web.hardening) answers with a Chinese page.
"""
import errno
import os
import uuid
from pathlib import Path

# What an operator must fix on the server (not the user's input): the page says so.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EFBIG, errno.EIO}


class StorageError(Exception):
    """The upload folder could not take the file; str(e) is the Chinese message for the page and the log."""

    def __init__(self, message: str, *, path: Path | None = None, cause: OSError | None = None):
        super().__init__(message)
        self.path = path
        self.cause = cause


def describe(error: OSError) -> str:
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "服务器上传目录空间不足"
    if error.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return "服务器上传目录不可写"
    return "服务器上传目录写入失败"


def _fail(error: OSError, path: Path) -> StorageError:
    return StorageError(f"{describe(error)}，文件未保存，本次提交的内容也未保存。请联系系统管理员处理后重新提交。",
                        path=path, cause=error)


def ensure_dir(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise _fail(error, directory) from error


def write_atomic(path: Path, data: bytes) -> Path:
    """Writes `data` to `path` (which must not exist yet) through a temporary file in the same folder."""
    path = Path(path)
    ensure_dir(path.parent)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError as error:
        _remove_quietly(temporary)
        raise _fail(error, path) from error
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Makes the rename itself durable; a filesystem that cannot fsync a folder has nothing to flush."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only folder never held the temporary file in the first place
