"""A full or read-only upload folder: a Chinese page, the database unchanged, no file (whole or partial) left.

The folder is a real tiny tmpfs mounted over UPLOAD_DIR for the test (the suite runs as root, in CI too;
chmod would not stop root, a read-only mount does). Not skipped when mounting fails: it fails.
"""
import errno
import io
import os
import subprocess
from pathlib import Path

import pytest

from tests.security import snapshot
from tests.webhelpers import World, client_as, csrf_token, isolate_requests, tiny_png
from tracker.services import safe_files


@pytest.fixture
def tiny_disk(app):
    """UPLOAD_DIR on a 64 KiB tmpfs; yields its path, unmounted afterwards."""
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k,mode=0755", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the full-disk test (needs root): {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["mount", "-o", "remount,rw", str(folder)], capture_output=True)
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.fixture
def world(app, db, tiny_disk):
    with isolate_requests(app):
        yield World(app, db.session)  # its seed files land on the tiny disk


def _fill(folder: Path, leave: int) -> None:
    """Writes a filler file, a page at a time, until at most `leave` bytes are free."""
    with open(folder / "filler.bin", "wb") as handle:
        for _page in range(1024):
            stats = os.statvfs(folder)
            if stats.f_bavail * stats.f_frsize <= leave:
                return
            try:
                handle.write(b"\0" * 4096)
                handle.flush()
            except OSError as error:
                assert error.errno == errno.ENOSPC
                return
    raise AssertionError("the tiny disk never filled up")


def _progress_poster(app, world):
    """Logs in first (a login writes to user_account), then returns a function posting one 整改进展."""
    client = client_as(app, world, "sec_a")
    url = f"/tasks/{world.task_a.id}"
    token = csrf_token(client, url)

    def post(data: bytes):
        return client.post(f"{url}/updates", content_type="multipart/form-data",
                           data={"csrf_token": token, "body": "已完成整改并上传照片",
                                 "files": [(io.BytesIO(data), "现场照片.png")]})

    return post


def _assert_refused_cleanly(app, response, before, words: str):
    html = response.get_data(as_text=True)
    assert response.status_code == 507, html[:500]
    assert words in html and "未保存" in html and "系统管理员" in html
    changes = snapshot.take(app).changes_since(before)
    assert changes == [], changes
    leftovers = [p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir() if p.name.endswith(".part")]
    assert leftovers == []


def test_full_upload_folder_answers_chinese_page_and_leaves_nothing(app, db, world, tiny_disk):
    _fill(tiny_disk, leave=8 * 1024)
    big_png = tiny_png() + b"\0" * (40 * 1024)  # starts as a PNG; larger than what is free: a partial write
    post = _progress_poster(app, world)
    before = snapshot.take(app)
    response = post(big_png)
    _assert_refused_cleanly(app, response, before, "空间不足")


def test_read_only_upload_folder_answers_chinese_page_and_leaves_nothing(app, db, world, tiny_disk):
    post = _progress_poster(app, world)
    subprocess.run(["mount", "-o", "remount,ro", str(tiny_disk)], check=True)
    before = snapshot.take(app)
    response = post(tiny_png())
    _assert_refused_cleanly(app, response, before, "不可写")


def test_the_same_upload_is_stored_when_the_disk_has_room(app, db, world, tiny_disk):
    """The control: the refusal above comes from the disk, not from the request."""
    post = _progress_poster(app, world)
    before = snapshot.take(app)
    response = post(tiny_png())
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    changes = snapshot.take(app).changes_since(before)
    assert any(c.startswith("file added: ") and c.endswith(".png") for c in changes), changes
    assert not any(".part" in c for c in changes)


def test_write_atomic_removes_its_temporary_file_on_a_full_disk(tiny_disk):
    """The helper import uploads (services/import_preview.py) share: whole file or none, StorageError."""
    _fill(tiny_disk, leave=4096)
    target = tiny_disk / "pending.json"
    with pytest.raises(safe_files.StorageError) as raised:
        safe_files.write_atomic(target, b"x" * (32 * 1024))
    assert "空间不足" in str(raised.value) and raised.value.cause.errno == errno.ENOSPC
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["filler.bin"]
    (tiny_disk / "filler.bin").unlink()
    safe_files.write_atomic(target, b"{}")
    assert target.read_bytes() == b"{}"
    assert sorted(p.name for p in tiny_disk.iterdir()) == ["pending.json"]
