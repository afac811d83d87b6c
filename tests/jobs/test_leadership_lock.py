"""The SQLite scheduler lock follows the database file: two databases never share a leader lock, and two
spellings of one database's path never give two leaders."""
import os
from types import SimpleNamespace

from config import Config
from jobs.leadership import FileLeadership, leadership_for, scheduler_lock_path


def _config(url: str, tmp_path, lock=None):
    """The three settings leadership reads, shaped as tracker.settings.Settings has them."""
    return SimpleNamespace(database_url=url, instance_dir=str(tmp_path / "instance"),
                           scheduler=SimpleNamespace(lock_file=(lock or "").strip()))


def test_lock_file_is_derived_from_the_database_path(tmp_path):
    (tmp_path / "a").mkdir()
    a = tmp_path / "a" / "tracker.db"
    b = tmp_path / "b.db"
    os.symlink(a, tmp_path / "alias.db")
    path_a = scheduler_lock_path(_config(f"sqlite:///{a}", tmp_path))
    assert path_a == str(a) + ".scheduler.lock"
    assert scheduler_lock_path(_config(f"sqlite:///{b}", tmp_path)) != path_a
    # another spelling of the same file (a symlink, a "..") gives the same lock
    assert scheduler_lock_path(_config(f"sqlite:///{tmp_path / 'alias.db'}", tmp_path)) == path_a
    assert scheduler_lock_path(_config(f"sqlite:///{tmp_path / 'a' / '..' / 'a' / 'tracker.db'}", tmp_path)) == path_a
    # a relative path is relative to the instance folder, as Flask-SQLAlchemy reads it
    relative = scheduler_lock_path(_config("sqlite:///x.db", tmp_path))
    assert relative == os.path.realpath(tmp_path / "instance" / "x.db") + ".scheduler.lock"
    # config.py's checkout-wide default does not count as an explicit choice
    assert scheduler_lock_path(_config(f"sqlite:///{b}", tmp_path, lock=Config.SCHEDULER_LOCK_FILE)) == \
        str(b) + ".scheduler.lock"


def test_an_explicit_lock_file_wins(tmp_path):
    explicit = str(tmp_path / "shared.lock")
    assert scheduler_lock_path(_config(f"sqlite:///{tmp_path / 'x.db'}", tmp_path, lock=explicit)) == explicit


def test_two_databases_lead_separately_and_one_database_has_one_leader(tmp_path):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    os.symlink(a, tmp_path / "alias.db")
    first = leadership_for(_config(f"sqlite:///{a}", tmp_path, lock=Config.SCHEDULER_LOCK_FILE))
    other_db = leadership_for(_config(f"sqlite:///{b}", tmp_path, lock=Config.SCHEDULER_LOCK_FILE))
    same_db = leadership_for(_config(f"sqlite:///{tmp_path / 'alias.db'}", tmp_path))
    assert isinstance(first, FileLeadership)
    try:
        assert first.try_acquire()
        assert other_db.try_acquire()  # another database: its own leader
        assert not same_db.try_acquire()  # the same database by another path: waits
        first.release()
        assert same_db.try_acquire()
    finally:
        for leadership in (first, other_db, same_db):
            leadership.release()
