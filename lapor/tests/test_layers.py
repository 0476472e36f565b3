"""The apps' layers: agencies/accounts → complaints → faces (views, admin, dashboards, api), no arrow back.

Read from the source with `ast`, so imports inside functions count too.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# The rules of the complaints domain: no page, admin, statistics or API code may leak into them.
RULES_MODULES = [
    "complaints.access",
    "complaints.bulk",
    "complaints.clocks",
    "complaints.counters",
    "complaints.deadlines",
    "complaints.escalation",
    "complaints.models",
    "complaints.notifications",
    "complaints.ombudsman",
    "complaints.reference",
    "complaints.routing",
    "complaints.workflow",
]
FACES = [
    "complaints.views",
    "complaints.staff_views",
    "complaints.agency_views",
    "complaints.admin",
    "dashboards",
    "api",
]


def module_path(name: str) -> Path:
    path = ROOT.joinpath(*name.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def package_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts if path.name == "__init__.py" else parts[:-1]).removesuffix(".__init__")


def imported_modules(source: str, package: str) -> set[str]:
    """Every module `source` imports, absolute, with `from x import y` also counted as `x.y`."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parent = ".".join(parts[: len(parts) - node.level + 1])
                base = ".".join(filter(None, [parent, base]))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def imports_of(path: Path) -> set[str]:
    return imported_modules(path.read_text(encoding="utf-8"), package_of(path))


def reaches(imported: set[str], targets: list[str]) -> list[str]:
    return sorted(name for name in imported for t in targets if name == t or name.startswith(f"{t}."))


def app_modules(app: str):
    for path in sorted((ROOT / app).rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if "tests" in parts or "migrations" in parts:
            continue
        yield path


@pytest.mark.parametrize("app", ["agencies", "accounts"])
def test_agencies_and_accounts_do_not_import_the_apps_above_them(app):
    offenders = {
        str(path.relative_to(ROOT)): bad
        for path in app_modules(app)
        if (bad := reaches(imports_of(path), ["complaints", "dashboards", "api"]))
    }
    assert offenders == {}


# Modules that queue work name their tasks through lapor.queue.after_commit instead of importing them.
QUEUEING_MODULES = [*RULES_MODULES, "complaints.exports", "api.webhooks", "api.opendata", "dashboards.aggregation"]
TASKS = ["complaints.tasks", "api.tasks", "dashboards.tasks"]


@pytest.mark.parametrize("module", QUEUEING_MODULES)
def test_domain_modules_do_not_import_tasks(module):
    assert reaches(imports_of(module_path(module)), TASKS) == []


@pytest.mark.parametrize("module", RULES_MODULES)
def test_rules_modules_do_not_import_views_admin_dashboards_or_api(module):
    path = module_path(module)
    assert path.exists(), f"{module} is listed as a rules module but does not exist"
    assert reaches(imports_of(path), FACES) == []


def test_the_check_sees_relative_imports_and_imports_inside_functions():
    source = "from .. import models\ndef f():\n    from complaints import views\n    import api.views\n"
    imported = imported_modules(source, "agencies.management")
    assert reaches(imported, ["complaints", "api"]) == ["api.views", "complaints", "complaints.views"]
    assert "agencies.models" in imported
