"""Where the templates and the migrations are: in a checkout, the top-level templates/ and migrations/
folders (the repository's fixed layout); in an installed wheel, tracker/templates and tracker/migrations
(setup.py maps them there). The packaged copy wins only when it exists, which a checkout never has."""
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent.parent
CHECKOUT_DIR = PACKAGE_DIR.parent


def resource_dir(name: str) -> str:
    packaged = PACKAGE_DIR / name
    return str(packaged if packaged.is_dir() else CHECKOUT_DIR / name)


def templates_dir() -> str:
    return resource_dir("templates")


def migrations_dir() -> str:
    return resource_dir("migrations")


def static_dir() -> str:
    """For nginx: `tracker check-config` prints it, so the operator can point `alias` at it."""
    return str(PACKAGE_DIR / "static")
