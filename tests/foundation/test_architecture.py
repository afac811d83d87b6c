"""The rooms of docs/architecture.md hold: every module imports, imports only downward, and in no cycle.

Imports are read from the source (module level and inside functions alike), so a lazy import that goes
upward or closes a cycle fails here as surely as one at the top of a file.
"""
import ast
import importlib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Higher tiers may import lower ones; a tier may import itself; nothing imports upward.
TIERS = [
    ("base", ["config", "tracker.extensions", "tracker.settings", "tracker.timeutil"]),
    ("models", ["tracker.models"]),
    ("domain", ["tracker.services", "tracker.escalation", "tracker.proposals", "tracker.mail", "tracker.roster",
                "tracker.importing"]),
    ("top", ["tracker.web", "tracker.ops", "tracker.cli", "tracker.wsgi", "tracker", "jobs"]),
]
PARSER = "tracker.parser"


def _modules() -> dict[str, Path]:
    found = {"config": REPO / "config.py"}
    for root in ("tracker", "jobs"):
        for path in sorted((REPO / root).rglob("*.py")):
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _tier(module: str) -> str | None:
    best, best_len = None, -1
    for tier, prefixes in TIERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = tier, len(prefix)
    return best


def _imports(module: str, path: Path) -> set[str]:
    """The project modules that `module` imports, resolved to the longest known module name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            submodules = {f"{base}.{alias.name}" for alias in node.names} & MODULES.keys()
            # `from package import module` depends on that module; `from module import name` on the module.
            names.update(submodules if len(submodules) == len(node.names) else {base, *submodules})
    resolved = set()
    for name in names:
        candidate = name
        while candidate and candidate not in MODULES:
            candidate = candidate.rpartition(".")[0]
        if candidate and candidate != module:
            resolved.add(candidate)
    return resolved


GRAPH = {module: _imports(module, path) for module, path in MODULES.items()}
ORDER = [tier for tier, _ in TIERS]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module):
    importlib.import_module(module)


def test_tiers_cover_every_module():
    assert [m for m in MODULES if _tier(m) is None and not m.startswith(PARSER)] == []


def test_nothing_imports_upward():
    upward = []
    for module, imported in GRAPH.items():
        if module.startswith(PARSER):
            continue
        for other in imported:
            if other.startswith(PARSER):
                continue
            if ORDER.index(_tier(other)) > ORDER.index(_tier(module)):
                upward.append(f"{module} → {other}")
    assert upward == []


def test_the_parser_stands_alone():
    """The reader is a pure module: text in, dataclasses out; nothing of the app in it."""
    leaks = [f"{m} → {o}" for m, imported in GRAPH.items() if m.startswith(PARSER)
             for o in imported if not o.startswith(PARSER)]
    assert leaks == []
    parser_sources = [p for m, p in MODULES.items() if m.startswith(PARSER)]
    assert parser_sources and not any("flask" in p.read_text(encoding="utf-8") for p in parser_sources)


def test_no_import_cycles():
    """Package __init__ files that only re-export are edges too, so a cycle through them counts."""
    cycles, state = [], {}

    def visit(node, stack):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(GRAPH.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" → ".join(stack[stack.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = "done"

    for module in sorted(GRAPH):
        if module not in state:
            visit(module, [])
    assert cycles == []


def test_the_old_notify_room_is_gone():
    assert not (REPO / "tracker" / "notify").exists()


def test_views_live_in_web_only():
    """Blueprints are made in tracker/web/ and nowhere else."""
    makers = [m for m, p in MODULES.items() if "Blueprint(" in p.read_text(encoding="utf-8")
              and not m.startswith("tracker.web")]
    assert makers == []


def test_no_file_over_400_lines():
    sources = [*MODULES.values(), *(REPO / "tests").rglob("*.py"), *(REPO / "benchmarks").rglob("*.py")]
    long = {str(p.relative_to(REPO)): n for p in sources if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400}
    assert long == {}
