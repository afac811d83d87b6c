"""Child processes for the scheduler tests: `tracker scheduler`, `tracker jobs tick`, gunicorn."""
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def child_env(app, **extra) -> dict:
    env = dict(os.environ)
    env.update({
        "TRACKER_DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "MAIL_SERVER": str(app.config["MAIL_SERVER"]),
        "MAIL_PORT": str(app.config["MAIL_PORT"]),
        "TRACKER_SCHEDULER_LOCK_FILE": app.config["SCHEDULER_LOCK_FILE"],
        "TRACKER_SECRET_KEY": app.config["SECRET_KEY"],
        "TRACKER_DELIVERY_SECONDS": "1",
        "TRACKER_SCAN_SECONDS": "3600",
        "TRACKER_LEADER_POLL_SECONDS": "0.2",
        "TRACKER_HEARTBEAT_SECONDS": "1",
        "TRACKER_MAIL_RETRY_BASE_SECONDS": "1",
        "TRACKER_ORG_DEPT_EMAIL": app.config.get("ORG_DEPT_CONTACT_EMAIL", ""),
        "TRACKER_DISCIPLINE_EMAIL": app.config.get("DISCIPLINE_CONTACT_EMAIL", ""),
        "PYTHONWARNINGS": "ignore",
    })
    env.update({k: str(v) for k, v in extra.items()})
    return env


def start_scheduler(app, log_path: Path, **extra) -> subprocess.Popen:
    handle = open(log_path, "wb")  # noqa: SIM115 - closed by stop()
    try:
        process = subprocess.Popen([str(BIN / "tracker"), "scheduler"], env=child_env(app, **extra),
                                   stdout=handle, stderr=subprocess.STDOUT)
    except BaseException:
        handle.close()  # the child never started: nobody else would close its log
        raise
    process.log_handle = handle
    process.log_path = log_path
    return process


def run_tick(app, now_text: str, **extra) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "tracker"), "jobs", "tick", "--now", now_text], env=child_env(app, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def stop(process: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    handle = getattr(process, "log_handle", None)
    if handle is not None and not handle.closed:
        handle.close()


def log_text(process) -> str:
    process.log_handle.flush()
    return Path(process.log_path).read_text(encoding="utf-8", errors="replace")


def wait_for(predicate, timeout: float = 30, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
