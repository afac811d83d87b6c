"""整改督办台账: the Flask application factory."""
import os
import secrets
from pathlib import Path

from flask import Flask

from config import Config
from tracker.settings import TrackerConfig
# Not `mail`: that name is the tracker.mail package once it is imported.
from tracker.extensions import csrf, db, login_manager, migrate
from tracker.extensions import mail as mail_extension
from tracker.ops import resources
from tracker.ops.checks import check_production
from tracker.ops.logging import register_logging
from tracker.web.hardening import register_hardening


class TrackerFlask(Flask):
    config_class = TrackerConfig  # app.config.settings: the one frozen Settings (tracker.settings)


def create_app(config_class=Config) -> Flask:
    instance_dir = config_class.INSTANCE_DIR
    app = TrackerFlask(__name__, template_folder=resources.templates_dir(), instance_path=instance_dir)
    app.config.from_object(config_class)
    check_production(app)  # TRACKER_CONFIG=production: refuse to start on a wrong setting, naming it
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    ensure_secret_key(app)
    register_extensions(app)
    register_hardening(app)  # before the blueprints: their <int:…> routes take its bounded converter
    register_blueprints(app)
    register_template_helpers(app)
    register_security(app)
    register_cli(app)
    register_logging(app)
    return app


def ensure_secret_key(app: Flask) -> None:
    """A key from the environment, else one generated once and kept (mode 600) in instance/: never a
    well-known default that would let anyone sign a session cookie."""
    if app.config.get("SECRET_KEY"):
        return
    key_file = Path(app.instance_path) / "secret_key"
    if not key_file.exists():
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    app.config["SECRET_KEY"] = key_file.read_text().strip()


SECURITY_HEADERS = {
    # No framing: one-button forms (审核销号, 退回, 合并) must not be clickjacked.
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                               "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def register_security(app: Flask) -> None:
    if app.config.get("PROXY_FIX_X_FOR"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1)

    @app.after_request
    def _security_headers(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=resources.migrations_dir(), render_as_batch=True)
    csrf.init_app(app)
    mail_extension.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录"
    login_manager.user_loader(_load_user)
    _install_session_hooks()
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _install_session_hooks() -> None:
    from flask_sqlalchemy.session import Session

    from tracker.mail import daymail

    daymail.install(Session)  # digests of the day are rendered once, just before the commit


def _load_user(session_id: str):
    """The id carries the user's session_version: bumping it at logout refuses every older cookie."""
    from tracker.models import User

    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version) or not user.active:
        return None
    return user


def _tune_sqlite(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=10000")
            # WAL lets the web app read while the scheduler writes; NORMAL is safe with WAL and makes
            # the outbox's commit-per-sent-mail cheap.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()


def register_blueprints(app: Flask) -> None:
    from tracker.web import BLUEPRINTS

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    from tracker import timeutil

    from tracker.settings import settings

    app.add_template_filter(lambda v: timeutil.cn_date(v, settings().timezone), "cn_date")
    app.add_template_filter(lambda v: timeutil.cn_datetime(v, settings().timezone), "cn_datetime")


def register_cli(app: Flask) -> None:
    from jobs.cli import jobs_cli, scheduler_command
    from tracker.cli import COMMANDS
    from tracker.ops.cli import COMMANDS as OPS_COMMANDS

    for command in [*COMMANDS, *OPS_COMMANDS]:
        app.cli.add_command(command)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(scheduler_command)
