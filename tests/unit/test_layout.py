"""The code's layout: small modules, scripts and stylesheets, and no two modules that import each other."""

from __future__ import annotations

import ast
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
PACKAGES = ("actions", "bot", "bench", "deploy", "escalation", "funddesk", "knowledge_base", "web", "tests")
MAX_LINES = 400


def modules() -> dict[str, Path]:
    """Every project module by dotted name; Alembic migrations are generated, one file per schema change."""
    found = {}
    for package in PACKAGES:
        for path in sorted((PROJECT / package).rglob("*.py")):
            relative = path.relative_to(PROJECT)
            if "migrations" in relative.parts:
                continue
            parts = relative.with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imported(name: str, path: Path, known: set[str]) -> set[str]:
    """The project modules ``name`` imports anywhere in its file (a lazy import is still an import)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"  # ``from package import module``
                out.add(target if target in known else base)
    return (out & known) - {name}


def test_every_module_is_at_most_400_lines() -> None:
    lines = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in modules().items()}
    too_long = {name: n for name, n in lines.items() if n > MAX_LINES}
    assert not too_long, f"over {MAX_LINES} lines: {too_long}"


def vendored(path: Path) -> bool:
    """A file the Makefile builds (it names the file), or one whose header comment starts "Vendored"."""
    relative = path.relative_to(PROJECT).as_posix() if path.is_relative_to(PROJECT) else path.name
    head = path.read_text(encoding="utf-8").splitlines()[:5]
    said = (line.lstrip("/* \t").lower() for line in head if line.lstrip().startswith(("//", "/*", "*")))
    return relative in (PROJECT / "Makefile").read_text(encoding="utf-8") or any(
        line.startswith("vendored") for line in said
    )


def scripts_and_styles() -> dict[str, Path]:
    """The web service's scripts and stylesheets, vendored ones included."""
    found = sorted([*(PROJECT / "web").rglob("*.js"), *(PROJECT / "web").rglob("*.css")])
    return {path.relative_to(PROJECT).as_posix(): path for path in found if "node_modules" not in path.parts}


def test_every_script_and_stylesheet_of_the_web_service_is_at_most_400_lines_unless_vendored() -> None:
    own = {name: path for name, path in scripts_and_styles().items() if not vendored(path)}
    lines = {name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in own.items()}
    too_long = {name: n for name, n in lines.items() if n > MAX_LINES}
    assert "web/widget/static/widget.js" in own and "web/console/static/page.css" in own
    assert not too_long, f"over {MAX_LINES} lines: {too_long}"


def test_a_script_is_vendored_when_the_makefile_builds_it_or_its_header_says_so(tmp_path: Path) -> None:
    assert vendored(PROJECT / "web/widget/static/vendor.js")
    assert not vendored(PROJECT / "web/widget/static/widget.js")
    (tmp_path / "lib.js").write_text("// Vendored: chart.js 4.4, minified.\nvar Chart;\n", encoding="utf-8")
    (tmp_path / "own.js").write_text("// Ours; vendored libraries are elsewhere.\nvar x;\n", encoding="utf-8")
    assert vendored(tmp_path / "lib.js") and not vendored(tmp_path / "own.js")


def test_no_two_modules_import_each_other() -> None:
    found = modules()
    graph = {name: imported(name, path, set(found)) for name, path in found.items()}
    mutual = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph[b]})
    assert not mutual, "modules that import each other: " + "; ".join(f"{a} <-> {b}" for a, b in mutual)


def test_the_import_graph_sees_relative_and_from_package_imports(tmp_path: Path) -> None:
    module = tmp_path / "pkg" / "sub" / "a.py"
    module.parent.mkdir(parents=True)
    module.write_text("from . import b\nfrom .. import c\nfrom pkg.sub import d\nimport pkg.e\n", encoding="utf-8")
    known = {"pkg", "pkg.sub", "pkg.sub.a", "pkg.sub.b", "pkg.c", "pkg.sub.d", "pkg.e"}
    assert imported("pkg.sub.a", module, known) == {"pkg.sub.b", "pkg.c", "pkg.sub.d", "pkg.e"}
