"""The wheel serves on its own: build it from a copy of the sources, install it into a fresh venv, and
serve /login (with its static files) from a folder outside the checkout, through deploy/gunicorn.conf.py.

No index is used: the wheel is built without build isolation (setuptools and wheel are in the lock) and
installed with --no-index --no-deps; the new venv reaches the already installed (locked) dependencies
through a .pth line instead of downloading them again.
"""
import os
import shutil
import site
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, free_port

pytestmark = pytest.mark.slow
SOURCES = ["tracker", "jobs", "templates", "migrations", "config.py", "setup.py", "pyproject.toml", "README.md"]


def _run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
    return result


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "PYTHON", "MAIL_", "VIRTUAL_ENV"))}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin folder, wheel path): built once for the module."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "src"
    source.mkdir()
    for name in SOURCES:  # a copy: building in the checkout would leave build/ and egg-info in it
        path = REPO_ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(path, source / name)
    _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "--no-index",
          "-w", str(root / "dist"), str(source)])
    wheel = next((root / "dist").glob("rectification_tracker-*.whl"))
    venv = root / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    purelib = _run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    (Path(purelib.stdout.strip()) / "locked_deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-index", "--no-deps", str(wheel)])
    return venv / "bin", wheel


def test_wheel_carries_templates_static_and_migrations(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed[1]).namelist())
    assert "tracker/templates/auth/login.html" in names
    assert "tracker/templates/email/task_notice.txt" in names
    assert "tracker/static/app.css" in names
    assert "tracker/migrations/env.py" in names and "tracker/migrations/alembic.ini" in names
    assert any(n.startswith("tracker/migrations/versions/") for n in names)
    assert not any("__pycache__" in n or n.startswith("tests/") for n in names)


def test_installed_wheel_migrates_and_serves_login(installed, tmp_path):
    bin_dir, _wheel = installed
    run_dir = tmp_path / "server"  # outside the checkout: nothing can come from it
    run_dir.mkdir()
    env = _clean_env(TRACKER_INSTANCE_DIR=str(run_dir / "instance"), WEB_CONCURRENCY="1",
                     TRACKER_LOG_FORMAT="text")
    where = _run([str(bin_dir / "python"), "-c", "import tracker, config; print(tracker.__file__, config.__file__)"],
                 cwd=run_dir, env=env).stdout
    assert str(REPO_ROOT) not in where and str(bin_dir.parent) in where
    migrated = _run([str(bin_dir / "tracker"), "db", "upgrade"], cwd=run_dir, env=env)
    assert (run_dir / "instance" / "tracker.db").exists(), migrated.stderr

    port = free_port()
    # `python -m gunicorn`: the gunicorn script lives beside the dependencies, not in this venv.
    server = subprocess.Popen([str(bin_dir / "python"), "-m", "gunicorn", "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
                               "tracker.wsgi:app"], cwd=run_dir, env=dict(env, TRACKER_BIND=f"127.0.0.1:{port}"),
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        login = _get(f"http://127.0.0.1:{port}/login", server)
        assert login.status == 200
        page = login.read().decode("utf-8")
        assert "登录" in page and "整改督办台账" in page
        assert login.headers["X-Request-ID"]
        css = _get(f"http://127.0.0.1:{port}/static/app.css", server)
        assert css.status == 200 and len(css.read()) > 100
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    assert "path=/login" in output and "status=200" in output  # our key=value request line


def test_installed_wheel_refuses_a_production_start_without_settings(installed, tmp_path):
    bin_dir, _wheel = installed
    env = _clean_env(TRACKER_CONFIG="production", TRACKER_INSTANCE_DIR=str(tmp_path / "instance"))
    result = subprocess.run([str(bin_dir / "tracker"), "db", "upgrade"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    for setting in ("TRACKER_SECRET_KEY", "MAIL_SERVER", "MAIL_DEFAULT_SENDER", "TRACKER_BASE_URL"):
        assert setting in result.stderr
    assert "生产环境配置有误" in result.stderr and "Traceback" not in result.stderr


def _get(url: str, server, attempts: int = 100):
    for _ in range(attempts):
        if server.poll() is not None:
            pytest.fail(f"gunicorn exited: {server.stdout.read()}")
        try:
            return urllib.request.urlopen(url, timeout=5)
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"no answer from {url}")
