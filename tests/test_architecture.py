"""The code's shape, as docs/architecture.md states it: small modules, and no module reaching
into another's private names. (The import rules between layers are import-linter's
contracts in pyproject.toml, run by `make test`.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers")
MAX_LINES = 400


def _modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py")
                  if "static" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_no_module_is_over_400_lines() -> None:
    long = {_name(p): n for p in _modules()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def _private_imports(path: Path) -> list[str]:
    """`from bot.x import _name`, and `_name` read off a project module imported whole."""
    found = []
    tree = ast.parse(path.read_text(encoding="utf-8"))
    modules: dict[str, str] = {}  # local name → project module
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update({a.asname: a.name for a in node.names
                            if a.asname and a.name.split(".")[0] in PACKAGES})
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in PACKAGES:
            modules.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names})
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in modules and node.attr.startswith("_") \
                and not node.attr.startswith("__"):
            found.append(f"{modules[node.value.id]}.{node.attr}")
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] in PACKAGES:
            found += [f"{node.module}.{a.name}" for a in node.names
                      if a.name.startswith("_") and a.name != "_"  # gettext
                      and not a.name.startswith("__")]
    return found


def test_no_module_imports_another_modules_private_names() -> None:
    offenders = {_name(p): names for p in _modules() if (names := _private_imports(p))}
    assert offenders == {}


@pytest.mark.parametrize("source", [
    "from bot.cli.org import _locale\n",
    "def f():\n    from handlers.duty import _scope\n",
    "from bot.services.roster import file as roster_file\nroster_file._cell('x')\n",
])
def test_the_private_import_check_sees_them(tmp_path: Path, source: str) -> None:
    module = tmp_path / "m.py"
    module.write_text(source)
    assert _private_imports(module)
