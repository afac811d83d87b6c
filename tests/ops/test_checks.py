"""Production checks refuse a wrong start and name the setting; `tracker check-config` reports and checks."""
from datetime import date
from pathlib import Path

import pytest

from config import ProductionConfig, TestConfig
from tracker import create_app
from tracker.ops.checks import ConfigError, check_workers

GOOD = {"SECRET_KEY": "k" * 64, "MAIL_SERVER": "smtp.intranet", "MAIL_DEFAULT_SENDER": "整改督办台账 <zgdb@a.gov.cn>",
        "BASE_URL": "https://zgdb.example.gov.cn", "SQLALCHEMY_DATABASE_URI": "sqlite://", "WEB_WORKERS": 1}


@pytest.fixture(autouse=True)
def production_selected(monkeypatch):
    """As on a server: TRACKER_CONFIG=production chose the configuration (the checks look for it)."""
    monkeypatch.setenv("TRACKER_CONFIG", "production")


def production(tmp_path, **overrides):
    values = {**GOOD, **overrides, "INSTANCE_DIR": str(tmp_path / "instance")}
    return type("Prod", (ProductionConfig,), values)


def refusal(tmp_path, **overrides) -> str:
    with pytest.raises(ConfigError) as caught:
        create_app(production(tmp_path, **overrides))
    return str(caught.value)


def test_good_production_settings_start(tmp_path):
    app = create_app(production(tmp_path))
    assert app.config["SECRET_KEY"] == "k" * 64
    assert not (tmp_path / "instance" / "secret_key").exists()  # never a generated key in production


@pytest.mark.parametrize("overrides, setting, words", [
    ({"SECRET_KEY": None}, "TRACKER_SECRET_KEY", "未设置会话签名密钥"),
    ({"SECRET_KEY": "short"}, "TRACKER_SECRET_KEY", "密钥太短"),
    ({"WEB_WORKERS": 3}, "WEB_CONCURRENCY", "SQLite 数据库只允许 1 个 Web 进程"),
    ({"MAIL_SERVER": None}, "MAIL_SERVER", "未设置内网邮件服务器"),
    ({"MAIL_DEFAULT_SENDER": ""}, "MAIL_DEFAULT_SENDER", "未设置发件人"),
    ({"BASE_URL": None}, "TRACKER_BASE_URL", "未设置系统访问地址"),
])
def test_each_wrong_setting_is_named_in_chinese_and_english(tmp_path, overrides, setting, words):
    message = refusal(tmp_path, **overrides)
    assert setting in message and words in message
    assert "refusing to start" in message
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_every_wrong_setting_at_once(tmp_path):
    message = refusal(tmp_path, SECRET_KEY=None, MAIL_SERVER=None, WEB_WORKERS=2)
    assert all(s in message for s in ("TRACKER_SECRET_KEY", "MAIL_SERVER", "WEB_CONCURRENCY"))


def test_postgresql_may_run_several_workers(tmp_path):
    config = {"CONFIG_NAME": "production", "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://u@h/db"}
    check_workers(config, 5)
    with pytest.raises(ConfigError, match="WEB_CONCURRENCY"):
        check_workers({**config, "SQLALCHEMY_DATABASE_URI": "sqlite:////var/lib/tracker/tracker.db"}, 2)


def test_development_settings_are_not_checked(tmp_path, monkeypatch):
    create_app(type("Dev", (TestConfig,), {"WEB_WORKERS": 4, "INSTANCE_DIR": str(tmp_path)}))
    # A ProductionConfig built by code (a test of its cookies) is not a server starting: not checked either.
    monkeypatch.delenv("TRACKER_CONFIG")
    create_app(production(tmp_path, SECRET_KEY="short", MAIL_SERVER=None))


def test_check_config_masks_secrets_and_checks_everything(app, db, smtp_server, tmp_path):
    app.config.update(MAIL_PASSWORD="mail-secret-9", SECRET_KEY="session-secret-1234")
    result = app.test_cli_runner().invoke(args=["check-config"])
    out = result.output
    assert "mail-secret-9" not in out and "session-secret-1234" not in out
    assert "MAIL_PASSWORD = ******（已设置）" in out
    assert "[通过] 邮件服务器" in out
    assert "[通过] 上传目录" in out
    # Tables made by create_all, not by migrations: the database check asks for `tracker db upgrade`.
    assert "[失败] 数据库" in out and "tracker db upgrade" in out
    assert result.exit_code == 1


def test_check_config_names_missing_holiday_years(app, db):
    from tracker.ops.report import check_holidays

    ok, message = check_holidays(db, app.config, today=date(2031, 5, 1))
    assert not ok and "2031年、2032年" in message and "节假日" in message
    ok, message = check_holidays(db, app.config, today=date(2025, 5, 1))
    assert ok, message  # chinese_calendar knows 2025 and 2026


def test_check_config_reports_an_unwritable_upload_folder_and_a_dead_smtp_server(app, tmp_path):
    from tests.conftest import free_port
    from tracker.ops.report import check_smtp, check_upload_dir

    blocker = tmp_path / "file"
    blocker.write_text("x")
    ok, message = check_upload_dir({"UPLOAD_DIR": str(blocker / "uploads"), "MIN_FREE_MB": 0})
    assert not ok and "不可写" in message
    ok, message = check_upload_dir({"UPLOAD_DIR": str(tmp_path / "u"), "MIN_FREE_MB": 10 ** 9})
    assert not ok and "剩余空间" in message
    ok, message = check_smtp({"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": free_port(), "MAIL_TIMEOUT_SECONDS": 2})
    assert not ok and "无法连接邮件服务器" in message


def test_check_config_runs_on_a_wrong_production_configuration(tmp_path, monkeypatch):
    """It exists to report a wrong configuration, so the start-up refusal lets it through."""
    from tracker.ops.report import check_production_settings

    monkeypatch.setattr("sys.argv", [str(Path("/opt/tracker/venv/bin/tracker")), "check-config"])
    app = create_app(production(tmp_path, MAIL_SERVER=None))
    ok, message = check_production_settings(app.config)
    assert not ok and "MAIL_SERVER" in message


def test_gunicorn_refuses_three_workers_on_sqlite_in_production(tmp_path):
    """`-w 3` on gunicorn's command line overrides WEB_CONCURRENCY: deploy/gunicorn.conf.py checks what it forks."""
    import os
    import subprocess
    import sys

    from tests.conftest import REPO_ROOT, free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRACKER_", "MAIL_", "WEB_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), TRACKER_CONFIG="production", TRACKER_SECRET_KEY="s" * 64,
               TRACKER_BASE_URL="https://zgdb.example.gov.cn", MAIL_SERVER="smtp", MAIL_DEFAULT_SENDER="z@a.cn",
               TRACKER_INSTANCE_DIR=str(tmp_path / "instance"), TRACKER_BIND=f"127.0.0.1:{free_port()}")
    result = subprocess.run([sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "deploy" / "gunicorn.conf.py"),
                             "-w", "3", "--no-control-socket", "tracker.wsgi:app"], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "WEB_CONCURRENCY" in result.stderr and "SQLite 数据库只允许 1 个 Web 进程（当前 3 个）" in result.stderr
