"""Production checks: with TRACKER_CONFIG=production the app refuses to start on a setting that would
lose data or mail, and names the setting (in Chinese for the operator, in English for the vendor).

create_app() calls check_production(app) before anything else uses the settings; deploy/gunicorn.conf.py
calls check_workers() with the worker count gunicorn really starts (a `-w` on its command line wins
over WEB_CONCURRENCY).
"""
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class Problem:
    setting: str
    chinese: str
    english: str

    def __str__(self) -> str:
        return f"{self.setting}：{self.chinese} / {self.english}"


class ConfigError(RuntimeError):
    """Raised at start-up; its message lists every wrong setting, one a line."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__("生产环境配置有误，系统拒绝启动 / refusing to start with this production configuration:\n"
                         f"{lines}\n请在环境变量（systemd 的 EnvironmentFile）中改正后重新启动，详见 docs/deploy.md。")


def is_production(config) -> bool:
    """TRACKER_CONFIG=production selected this production configuration: the way every server process
    (gunicorn, `tracker`, the systemd units) chooses it. A ProductionConfig handed to create_app() by code,
    as tests do to look at its cookies, is not a server starting, and is not checked."""
    return config.get("CONFIG_NAME") == "production" and os.environ.get("TRACKER_CONFIG") == "production"


def uses_sqlite(url: str | None) -> bool:
    return (url or "").startswith("sqlite")


def worker_problems(url: str | None, workers: int) -> list[Problem]:
    if uses_sqlite(url) and workers > 1:
        return [Problem("WEB_CONCURRENCY",
                        f"SQLite 数据库只允许 1 个 Web 进程（当前 {workers} 个）；多进程请改用 PostgreSQL"
                        "（TRACKER_DATABASE_URL），或把 WEB_CONCURRENCY 设为 1（用 TRACKER_WEB_THREADS 增加线程）",
                        f"SQLite allows one web worker, {workers} configured: use PostgreSQL or WEB_CONCURRENCY=1")]
    return []


def production_problems(config) -> list[Problem]:
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append(Problem("TRACKER_SECRET_KEY", "未设置会话签名密钥（可用 openssl rand -hex 32 生成；多台主机须相同）",
                                "not set (generate one with `openssl rand -hex 32`; the same on every host)"))
    elif len(secret) < MIN_SECRET_LENGTH:
        problems.append(Problem("TRACKER_SECRET_KEY", f"密钥太短（{len(secret)} 个字符，至少 {MIN_SECRET_LENGTH} 个）",
                                f"too short ({len(secret)} characters, at least {MIN_SECRET_LENGTH})"))
    problems += worker_problems(config.get("SQLALCHEMY_DATABASE_URI"), int(config.get("WEB_WORKERS") or 1))
    if not (config.get("MAIL_SERVER") or "").strip():
        problems.append(Problem("MAIL_SERVER", "未设置内网邮件服务器（SMTP）地址，提醒、催办、督办邮件将无法发出",
                                "not set: the intranet SMTP server that sends every notice"))
    if not (config.get("MAIL_DEFAULT_SENDER") or "").strip():
        problems.append(Problem("MAIL_DEFAULT_SENDER", "未设置发件人，例如 整改督办台账 <zgdb@zzb.example.gov.cn>",
                                "not set: the From address of every notice"))
    if not (config.get("BASE_URL") or "").strip().startswith(("http://", "https://")):
        problems.append(Problem("TRACKER_BASE_URL", "未设置系统访问地址（邮件中的链接），例如 https://zgdb.example.gov.cn",
                                "not set: the address users open, used in links in emails"))
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append(Problem("TRACKER_SECURE_COOKIES", "生产环境必须通过 HTTPS 访问并使用 Secure Cookie",
                                "production needs Secure cookies behind HTTPS"))
    return problems


def check_production(app) -> None:
    """Does nothing outside production; raises ConfigError listing every wrong setting inside it."""
    if not is_production(app.config):
        return
    problems = production_problems(app.config)
    if problems and not _checking_config():
        _install_excepthook()
        raise ConfigError(problems)


def _checking_config() -> bool:
    """`tracker check-config` must start on a wrong configuration: reporting it is its job."""
    return len(sys.argv) > 1 and Path(sys.argv[0]).name in {"tracker", "flask"} and sys.argv[1] == "check-config"


def _install_excepthook() -> None:
    """An operator at the console gets the message, not a Python traceback (gunicorn logs its own)."""
    previous = sys.excepthook
    if getattr(previous, "_tracker", False):
        return

    def hook(kind, value, traceback):
        if isinstance(value, ConfigError):
            print(value, file=sys.stderr)
        else:
            previous(kind, value, traceback)

    hook._tracker = True
    sys.excepthook = hook


def check_workers(config, workers: int) -> None:
    """For gunicorn's on_starting hook: the count it will really fork."""
    if is_production(config):
        problems = worker_problems(config.get("SQLALCHEMY_DATABASE_URI"), workers)
        if problems:
            raise ConfigError(problems)
