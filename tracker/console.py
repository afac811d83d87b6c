"""The `tracker` command: Flask's command group over the app built from the environment.

Kept apart from tracker/cli.py (the commands themselves) so that the app factory, which registers those
commands, is never imported by a module it imports.
"""
import os
from pathlib import Path

import click
from flask.cli import FlaskGroup


DEMO_ENV_FILE = "demo-mail.env"  # written by `make run`: its mail sink, for commands run in another shell


def _demo_mail_settings() -> dict:
    """Outside production, MAIL_SERVER / MAIL_PORT of the running demo (instance/demo-mail.env), for the
    settings this shell does not set itself."""
    if os.environ.get("TRACKER_CONFIG") == "production":
        return {}
    from config import INSTANCE_DIR_DEFAULT

    path = Path(INSTANCE_DIR_DEFAULT) / DEMO_ENV_FILE
    if not path.exists():
        return {}
    found = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        name, value = name.strip(), value.strip()
        if sep and name in ("MAIL_SERVER", "MAIL_PORT") and name not in os.environ and value:
            found[name] = int(value) if name == "MAIL_PORT" else value
    return found


def _create_app():
    from config import config_from_env
    from tracker import create_app

    app = create_app(config_from_env())
    if not app.testing:
        # config.py read the environment when it was imported: the demo's sink is set on the app itself.
        app.config.update(_demo_mail_settings())
    return app


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """整改督办台账 管理命令"""
