"""The import rules of docs/architecture.md, checked on the source."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]


def _imports(package: str) -> dict[str, set[str]]:
    """module path → every module it imports (absolute names)."""
    out = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
                names.update(f"{node.module}.{a.name}" for a in node.names)
        out[str(path.relative_to(ROOT))] = names
    return out


def _breaks(package: str, under: str, forbidden: tuple[str, ...]) -> list[tuple[str, str]]:
    return [
        (module, name)
        for module, names in _imports(package).items()
        if module.startswith(under)
        for name in names
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_the_engine_is_a_pure_library() -> None:
    assert _breaks("matching", "matching/", ("api", "fastapi", "sqlalchemy", "starlette")) == []


def test_solvers_never_import_mechanisms() -> None:
    assert _breaks("matching", "matching/solvers/", ("matching.mechanisms",)) == []


def test_the_shared_types_import_nothing_above_them() -> None:
    above = (
        "matching.readers",
        "matching.validate",
        "matching.io",
        "matching.graph",
        "matching.encode",
        "matching.objective",
        "matching.solvers",
        "matching.mechanisms",
        "matching.verify",
        "matching.explain",
        "matching.metrics",
        "matching.engine",
    )
    for module in (
        "matching/columns.py",
        "matching/model.py",
        "matching/errors.py",
        "matching/base.py",
    ):
        assert _breaks("matching", module, above) == []


def test_storage_and_routes_do_not_reach_up() -> None:
    assert _breaks("api", "api/storage/", ("api.routers", "api.pages", "api.deps")) == []
    assert _breaks("api", "api/routers/", ("api.pages",)) == []
    assert _breaks("api", "api/pages/", ("api.storage", "api.routers", "api.repository")) == []


def test_the_language_and_its_words_are_leaves() -> None:
    """api/i18n and api/words serve the pages and the file reader, and read nothing of them."""
    up = ("api.pages", "api.routers", "api.storage", "api.deps", "api.spreadsheet")
    assert _breaks("api", "api/i18n.py", (*up, "api.words")) == []
    assert _breaks("api", "api/words.py", up) == []
    assert _breaks("api", "api/spreadsheet.py", ("api.pages", "api.routers", "api.storage")) == []
