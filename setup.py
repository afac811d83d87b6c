"""Package list for the wheel. Everything else is in pyproject.toml.

The repository keeps templates/ and migrations/ at the top level (the customer's fixed layout); an
installed wheel has no checkout beside it, so they are mapped into the package as tracker/templates and
tracker/migrations, where tracker.ops.resources finds them. Each of their folders is listed as a package
of data files, as setuptools wants folders inside a package to be.
"""
from pathlib import Path

from setuptools import find_namespace_packages, setup

HERE = Path(__file__).resolve().parent
MAPPED = {"tracker.templates": "templates", "tracker.migrations": "migrations"}
DATA = ["*.html", "*.txt", "*.py", "*.ini", "*.mako", "README", "*.css", "*.js", "*.png", "*.svg", "*.woff2"]


def data_packages() -> list[str]:
    names = []
    for package, folder in MAPPED.items():
        for path in sorted([HERE / folder, *(HERE / folder).rglob("*")]):
            if path.is_dir() and "__pycache__" not in path.parts:
                names.append(".".join([package, *path.relative_to(HERE / folder).parts]))
    return names


# Namespace packages too: tracker/static and tracker/demo_data are folders of data without __init__.py.
CODE = find_namespace_packages(include=["tracker", "tracker.*", "jobs", "jobs.*"], exclude=["*.__pycache__"])
PACKAGES = CODE + data_packages()
setup(
    packages=PACKAGES,
    package_dir=MAPPED,
    package_data={name: DATA for name in PACKAGES},
)
