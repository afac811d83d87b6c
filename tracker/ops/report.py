"""`tracker check-config`: the effective settings (secrets masked) and a live check of everything the
system needs from its server: the database (and its migrations), the SMTP server, the upload folder, and
the holiday table for this year and next. Each check answers (ok, Chinese message)."""
import importlib
import shutil
import smtplib
import ssl
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from tracker.ops import resources
from tracker.ops.checks import is_production, production_problems

SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN")
MASK = "******（已设置）"


def masked_settings(config, names) -> list[tuple[str, str]]:
    rows = []
    for name in sorted(names):
        value = config.get(name)
        if any(word in name for word in SECRET_WORDS) and name != "SECRET_KEY_FALLBACKS":
            shown = MASK if value else "（未设置）"
        elif name == "SQLALCHEMY_DATABASE_URI" and value:
            shown = make_url(value).render_as_string(hide_password=True)
        else:
            shown = repr(value)
        rows.append((name, shown))
    return rows


def check_production_settings(config) -> tuple[bool, str]:
    if not is_production(config):
        return True, "TRACKER_CONFIG 不是 production：生产环境检查未启用（开发/演示配置）"
    problems = production_problems(config)
    if problems:
        return False, "生产环境配置有误：" + "；".join(str(p) for p in problems)
    return True, "生产环境配置齐全（密钥、邮件、访问地址、进程数）"


def check_database(db) -> tuple[bool, str]:
    try:
        with db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
            revision = None
            if db.inspect(conn).has_table("alembic_version"):
                revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception as exc:  # noqa: BLE001 - the operator needs the reason, whatever it is
        return False, f"无法连接数据库：{exc.__class__.__name__}: {str(exc).splitlines()[0][:200]}"
    head = _migration_head()
    where = make_url(str(db.engine.url)).render_as_string(hide_password=True)
    if revision is None:
        return False, f"已连接 {where}，但尚未初始化：请运行 tracker db upgrade"
    if head and revision != head:
        return False, f"已连接 {where}，数据库版本 {revision}，程序需要 {head}：请运行 tracker db upgrade"
    return True, f"已连接 {where}，数据库版本 {revision}（最新）"


def _migration_head() -> str | None:
    try:
        from alembic.config import Config as AlembicConfig
        from alembic.script import ScriptDirectory

        alembic_config = AlembicConfig()
        alembic_config.set_main_option("script_location", resources.migrations_dir())
        return ScriptDirectory.from_config(alembic_config).get_current_head()
    except Exception:  # noqa: BLE001 - a broken migrations folder shows as "unknown head"
        return None


def check_smtp(config) -> tuple[bool, str]:
    host, port = config.get("MAIL_SERVER"), int(config.get("MAIL_PORT") or 25)
    if not host:
        return False, "未设置 MAIL_SERVER"
    timeout = int(config.get("MAIL_TIMEOUT_SECONDS") or 20)
    try:
        if config.get("MAIL_USE_SSL"):
            server = smtplib.SMTP_SSL(host, port, timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=timeout)
        with server:
            server.ehlo()
            if config.get("MAIL_USE_TLS"):
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if config.get("MAIL_USERNAME"):
                server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            code, _ = server.noop()
    except (OSError, smtplib.SMTPException) as exc:
        return False, f"无法连接邮件服务器 {host}:{port}：{exc.__class__.__name__}: {exc}"
    return code == 250, f"邮件服务器 {host}:{port} 应答正常（NOOP {code}）"


def check_upload_dir(config) -> tuple[bool, str]:
    folder = Path(config["UPLOAD_DIR"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        probe = folder / f".check-{uuid.uuid4().hex}"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        return False, f"上传目录 {folder} 不可写：{exc.strerror or exc}（请检查属主与权限）"
    free_mb = shutil.disk_usage(folder).free // (1024 * 1024)
    minimum = int(config.get("MIN_FREE_MB") or 0)
    if free_mb < minimum:
        return False, f"上传目录 {folder} 可写，但剩余空间只有 {free_mb} MB（应至少 {minimum} MB）"
    return True, f"上传目录 {folder} 可写，剩余空间 {free_mb} MB"


def _calendar_module():
    """The work calendar is being moved between packages; take it where it is."""
    for name in ("tracker.escalation.calendar", "tracker.notify.calendar"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    raise ImportError("work calendar module not found")


def check_holidays(db, config, today=None) -> tuple[bool, str]:
    from tracker.timeutil import local_datetime
    from tracker.models.types import utcnow

    today = today or local_datetime(utcnow(), config.get("TIMEZONE")).date()
    try:
        calendar = _calendar_module().WorkCalendar.load(db.session)
    except Exception as exc:  # noqa: BLE001
        db.session.rollback()
        return False, f"无法读取节假日表：{exc.__class__.__name__}"
    years = [today.year, today.year + 1]
    missing = calendar.missing_years(years)
    if missing:
        shown = "、".join(f"{y}年" for y in missing)
        return False, (f"{shown}的法定节假日与调休尚未录入：请组织部管理员在“节假日”页面按国务院办公厅通知录入，"
                       "否则该年按周末休息计算工作日")
    return True, "、".join(f"{y}年" for y in years) + "的节假日安排已知"


def run_all(app, db) -> list[tuple[str, bool, str]]:
    config = app.config
    results = [("生产环境配置", *check_production_settings(config)), ("数据库", *check_database(db))]
    database_ok = results[-1][1] or "尚未初始化" not in results[-1][2] and "无法连接" not in results[-1][2]
    results.append(("邮件服务器", *check_smtp(config)))
    results.append(("上传目录", *check_upload_dir(config)))
    if database_ok:
        results.append(("节假日表", *check_holidays(db, config)))
    else:
        results.append(("节假日表", False, "数据库不可用，未检查"))
    return results


def describe_paths(app) -> list[tuple[str, str]]:
    return [("模板目录 templates", app.template_folder), ("静态文件 static（nginx alias）", resources.static_dir()),
            ("迁移脚本 migrations", resources.migrations_dir()), ("实例目录 instance", app.instance_path),
            ("检查时间", datetime.now().astimezone().isoformat(timespec="seconds"))]
