"""The `tracker` command: Flask's command group over the app built from the environment.

Kept apart from tracker/cli.py (the commands themselves) so that the app factory, which registers those
commands, is never imported by a module it imports.
"""
import click
from flask.cli import FlaskGroup


def _create_app():
    from config import config_from_env
    from tracker import create_app

    return create_app(config_from_env())


@click.group(cls=FlaskGroup, create_app=_create_app, add_version_option=False)
def main():
    """整改督办台账 管理命令"""
