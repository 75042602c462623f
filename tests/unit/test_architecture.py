"""The shape of the code (docs/architecture.md, "The import rules"): a walk over the imports of
app.py and chalicelib/ that fails on each broken rule, naming the file and the import.

Every import counts wherever it is written (module level, inside a function, under
TYPE_CHECKING): a deferred import is still a dependency.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIB = ROOT / "chalicelib"
MAX_LINES = 600

# The rules, in the same words as docs/architecture.md.
RULE_STORAGE = "a feature imports another feature's storage"
RULE_REACH = "a feature reaches another feature's repository through the container or a service"
RULE_STORAGE_UP = "a storage module imports a service or the web edge"
RULE_SERVICE_WEB = "a service imports the web edge or Chalice"
RULE_DEV_ONLY = "shipped code imports devtools or bench"
RULE_SIZE = f"a chalicelib/ file is over {MAX_LINES} lines"


@dataclass(frozen=True)
class Module:
    """One Python file of shipped code, as the rules see it."""

    path: str  # relative to the project root, e.g. "chalicelib/signups/service.py"
    name: str  # dotted, e.g. "chalicelib.signups.service"
    imports: tuple[tuple[int, str], ...]  # (line, imported module or module.name)
    lines: int
    classes: tuple[str, ...]
    # (line, name) of each ``<x>.<name>`` and ``<x>.<name>.repo`` written (a container's property,
    # or a service's repository), for the reach-through rule
    attributes: tuple[tuple[int, str], ...] = ()

    @property
    def feature(self) -> str | None:
        """The feature package it belongs to (None for app.py and chalicelib/'s own files:
        the composition root, the CLI and the shared edges)."""
        parts = self.name.split(".")
        return parts[1] if parts[0] == "chalicelib" and len(parts) >= 3 else None

    @property
    def is_storage(self) -> bool:
        """A repository: a ``storage.py`` or ``..._storage.py`` (a part of one), or a module that
        defines a ``...Repository`` class (the distribution's ``ledger.py``)."""
        last = self.name.rsplit(".", 1)[-1]
        return last == "storage" or last.endswith("_storage") or any(c.endswith("Repository") for c in self.classes)

    @property
    def is_service(self) -> bool:
        """The rules: a ``service.py``, or a module that defines a ``...Service`` class."""
        return self.name.endswith(".service") or any(c.endswith("Service") for c in self.classes)


def parse(path: str, source: str) -> Module:
    tree = ast.parse(source, filename=path)
    name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
    imports: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imports.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = name.split(".")[: -node.level] if not path.endswith("__init__.py") else name.split(".")
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            # "from chalicelib.signups import storage" names the module storage: keep both spellings.
            imports.extend((node.lineno, f"{module}.{alias.name}") for alias in node.names)
    classes = tuple(n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef))
    attributes: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            if node.attr == "repo" and isinstance(node.value, ast.Attribute):
                attributes.append((node.lineno, f"{node.value.attr}.repo"))
            else:
                attributes.append((node.lineno, node.attr))
    return Module(path, name, tuple(imports), len(source.splitlines()), classes, tuple(attributes))


def shipped_modules() -> dict[str, Module]:
    return dict(_parsed())


@functools.cache
def _parsed() -> tuple[tuple[str, Module], ...]:
    files = [ROOT / "app.py", *sorted(LIB.rglob("*.py"))]
    modules = [parse(f.relative_to(ROOT).as_posix(), f.read_text(encoding="utf-8")) for f in files]
    return tuple((m.name, m) for m in modules)


@functools.cache
def container_parts() -> dict[str, str]:
    """The container's properties, each with the module it builds (the first import in its body):
    ``signups`` -> ``chalicelib.signups.service``, ``join_link_items`` -> ``chalicelib.joinlinks.storage``."""
    tree = ast.parse((LIB / "container.py").read_text(encoding="utf-8"))
    parts: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and any(
            isinstance(d, ast.Name) and d.id == "cached_property" for d in node.decorator_list
        ):
            first = next((s for s in node.body if isinstance(s, ast.ImportFrom) and s.module), None)
            if first is not None and first.module:
                parts[node.name] = first.module
    return parts


def _reaches(m: Module, modules: dict[str, Module]) -> list[str]:
    """Another feature's repository, used through the container (``c.join_link_items``) or
    through its service (``c.signups.repo``): the same coupling as importing its storage."""
    found: list[str] = []
    for line, written in m.attributes:
        prop, _, repo = written.partition(".")
        built = modules.get(container_parts().get(prop, ""))
        if built is None or built.feature in (None, m.feature):
            continue
        if built.is_storage if not repo else built.is_service:
            found.append(f"{RULE_REACH}: {m.path}:{line} uses {written}")
    return found


def _target(imported: str, modules: dict[str, Module]) -> Module | None:
    """The module an import names ("a.b.c" may be module a.b.c, or the name c of module a.b)."""
    return modules.get(imported) or modules.get(imported.rsplit(".", 1)[0])


def _is_web_edge(imported: str) -> bool:
    return imported == "chalice" or imported.startswith(("chalice.", "chalicelib.web.")) or imported == "chalicelib.web"


def violations(modules: dict[str, Module]) -> list[str]:
    """Every broken rule, one line each: the rule, the file and line, the import (no file is
    excused from any rule)."""
    found: list[str] = []
    for m in modules.values():
        for line, imported in m.imports:
            where = f"{m.path}:{line} imports {imported}"
            target = _target(imported, modules)
            top = imported.split(".")[0]
            if top in ("devtools", "bench"):
                found.append(f"{RULE_DEV_ONLY}: {where}")
            if target is None:
                continue
            if m.feature and target.feature and target.feature != m.feature and target.is_storage:
                found.append(f"{RULE_STORAGE}: {where}")
            if m.is_storage and target is not m and (target.is_service or _is_web_edge(target.name)):
                found.append(f"{RULE_STORAGE_UP}: {where}")
        for line, imported in m.imports:
            if m.is_service and _is_web_edge(imported):
                found.append(f"{RULE_SERVICE_WEB}: {m.path}:{line} imports {imported}")
            elif m.is_storage and _is_web_edge(imported) and _target(imported, modules) is None:
                found.append(f"{RULE_STORAGE_UP}: {m.path}:{line} imports {imported}")
        if m.feature:
            found.extend(_reaches(m, modules))
        if m.path.startswith("chalicelib/") and m.lines > MAX_LINES:
            found.append(f"{RULE_SIZE}: {m.path} has {m.lines} lines")
    return sorted(set(found))


def test_the_shipped_code_keeps_every_rule() -> None:
    broken = violations(shipped_modules())
    assert broken == [], "\n".join(broken)


def _with(*extra: tuple[str, str]) -> dict[str, Module]:
    """The shipped modules plus synthetic files (path, source) that break one rule each."""
    modules = shipped_modules()
    for path, source in extra:
        added = parse(path, source)
        modules[added.name] = added
    return modules


# Each case: a synthetic file, the rule it must break, and the import the message must name.
BAD = [
    pytest.param(
        ("chalicelib/events/service.py", "from chalicelib.signups.storage import SignupRepository\n"),
        RULE_STORAGE,
        "chalicelib/events/service.py:1 imports chalicelib.signups.storage.SignupRepository",
        id="feature-imports-other-storage",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "def f():\n    from chalicelib.signups import storage\n"),
        RULE_STORAGE,
        "chalicelib/events/views.py:2 imports chalicelib.signups.storage",
        id="deferred-import-of-other-storage-module",
    ),
    pytest.param(
        ("chalicelib/announcements/storage.py", "from chalicelib.distribution.ledger import DeliveryRepository\n"),
        RULE_STORAGE,
        "chalicelib/announcements/storage.py:1 imports chalicelib.distribution.ledger.DeliveryRepository",
        id="feature-imports-other-repository-module",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "def f(c):\n    return c.signups.repo.count('g', 'active')\n"),
        RULE_REACH,
        "chalicelib/events/views.py:2 uses signups.repo",
        id="feature-reaches-a-repository-through-a-service",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "def f(ctx):\n    return ctx.c.join_link_items.window('g')\n"),
        RULE_REACH,
        "chalicelib/events/views.py:2 uses join_link_items",
        id="feature-reaches-a-repository-through-the-container",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "from chalicelib.signups.intake_storage import IntakeStorage\n"),
        RULE_STORAGE,
        "chalicelib/events/views.py:1 imports chalicelib.signups.intake_storage.IntakeStorage",
        id="feature-imports-a-part-of-other-storage",
    ),
    pytest.param(
        ("chalicelib/events/storage.py", "from chalicelib.groups.service import GroupService\n"),
        RULE_STORAGE_UP,
        "chalicelib/events/storage.py:1 imports chalicelib.groups.service.GroupService",
        id="storage-imports-a-service",
    ),
    pytest.param(
        ("chalicelib/events/storage.py", "from chalicelib.web.responses import json_response\n"),
        RULE_STORAGE_UP,
        "chalicelib/events/storage.py:1 imports chalicelib.web.responses.json_response",
        id="storage-imports-the-web-edge",
    ),
    pytest.param(
        ("chalicelib/events/storage.py", "import chalice\n"),
        RULE_STORAGE_UP,
        "chalicelib/events/storage.py:1 imports chalice",
        id="storage-imports-chalice",
    ),
    pytest.param(
        ("chalicelib/events/service.py", "from chalicelib.web.request import json_body\n"),
        RULE_SERVICE_WEB,
        "chalicelib/events/service.py:1 imports chalicelib.web.request.json_body",
        id="service-imports-the-web-edge",
    ),
    pytest.param(
        ("chalicelib/events/service.py", "from chalice import Response\n"),
        RULE_SERVICE_WEB,
        "chalicelib/events/service.py:1 imports chalice.Response",
        id="service-imports-chalice",
    ),
    pytest.param(
        ("app.py", "from devtools.stream_poller import poll\n"),
        RULE_DEV_ONLY,
        "app.py:1 imports devtools.stream_poller.poll",
        id="app-imports-devtools",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "import bench.seed\n"),
        RULE_DEV_ONLY,
        "chalicelib/events/views.py:1 imports bench.seed",
        id="feature-imports-bench",
    ),
    pytest.param(
        ("chalicelib/events/views.py", "x = 1\n" * (MAX_LINES + 1)),
        RULE_SIZE,
        f"chalicelib/events/views.py has {MAX_LINES + 1} lines",
        id="file-over-the-limit",
    ),
]


@pytest.mark.parametrize(("bad", "rule", "named"), BAD)
def test_each_rule_fails_on_a_bad_import_and_names_it(bad: tuple[str, str], rule: str, named: str) -> None:
    broken = violations(_with(bad))
    assert f"{rule}: {named}" in broken, "\n".join(broken)


GOOD = [
    pytest.param(("chalicelib/events/storage.py", "from chalicelib.events.records import EVENT_PREFIX\n"), id="own"),
    pytest.param(("chalicelib/events/storage.py", "from chalicelib.signups.records import signup_key\n"), id="records"),
    pytest.param(("chalicelib/events/service.py", "from chalicelib.groups.service import GroupService\n"), id="svc"),
    pytest.param(("chalicelib/container.py", "from chalicelib.signups.storage import SignupRepository\n"), id="root"),
    pytest.param(("chalicelib/events/views.py", "x = 1\n" * MAX_LINES), id="at-the-limit"),
]


@pytest.mark.parametrize("good", GOOD)
def test_what_the_rules_allow_passes(good: tuple[str, str]) -> None:
    """The composition root may build any repository; a feature may read another's records and
    call its service; a file at the limit is fine."""
    path = good[0]
    assert [v for v in violations(_with(good)) if f" {path}" in v] == []


def test_the_rules_are_written_in_the_architecture_document_in_the_same_words() -> None:
    document = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for rule in (RULE_STORAGE, RULE_REACH, RULE_STORAGE_UP, RULE_SERVICE_WEB, RULE_DEV_ONLY, RULE_SIZE):
        assert f"- {rule}\n" in document, f"docs/architecture.md does not state the rule: {rule}"
