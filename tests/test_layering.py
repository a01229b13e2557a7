"""The layering rules of ``cimjax``, checked by parsing every module's imports.

Every ``.py`` file under ``cimjax/`` is parsed with :mod:`ast`. Every ``import`` statement counts,
wherever it stands: at module level, inside a function (a lazy import), under ``if`` or ``try``.
Hiding a dependency behind a lazy import does not remove it, so a lazy import is an edge like any
other.

How an import becomes an edge between cimjax modules (relative imports are resolved first):

- ``import a.b.c`` is an edge to the module ``a.b.c``;
- ``from a.b import c`` is an edge to the module ``a.b.c`` when ``c`` is a submodule of the
  package ``a.b``, and otherwise (``c`` is a name defined or re-exported by ``a/b/__init__.py``,
  or ``*``) an edge to the package module ``a.b`` itself.

Importing ``a.b.c`` also runs ``a/__init__.py`` and ``a/b/__init__.py`` first, but that is not an
edge: Python initialises a package before any of its children, so a package ``__init__`` that
imports its children (``hw/__init__.py`` importing ``hw.cost``) never forms a cycle with a child
that imports a sibling by its full name (``from cimjax.hw.cost import Cost``) or as a submodule
of the package (``from cimjax.hw import cost``). A child that takes a *re-exported name* from
its package (``from cimjax.hw import Cost`` inside ``hw/floorplan.py``) depends on the package
``__init__``, which imports the child: that is a real cycle (it reads a half-initialised
package), and it is reported.

The rules (each is one test below):

1. **No import cycles** between cimjax modules: every strongly connected component of the
   import graph is a single module without a self-edge.
2. **The physics layers stay pure.** A module of ``cimjax/devices/``, ``cimjax/analog/`` or
   ``cimjax/hw/`` never imports, directly or through other cimjax modules, ``flax``, the
   experiment config (the ``cimjax.config`` package, and ``cimjax`` itself, whose
   ``__init__`` imports it) or the runtime helpers ``cimjax.host_eval`` and
   ``cimjax.compile_cache``. A violation is reported at the edge that leaves the three layers
   (or imports flax), with the path to the forbidden module.
3. **No JAX internals:** no module of ``cimjax`` imports ``jax._src`` or refers to it by
   attribute (``jax._src.core``) or by name in an import call.

``KNOWN_VIOLATIONS`` lists the violations that exist today and are being removed on other
branches. The tests fail on any violation not in that set *and* on any entry of the set that no
longer occurs, so the set can only shrink.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = "cimjax"
# The physics layers: they can be jitted, vmapped and differentiated alone.
PURE_LAYERS = ("cimjax.devices", "cimjax.analog", "cimjax.hw")
# What the physics layers never reach: flax (an external top-level name), the experiment config and
# the runtime helpers (module names; `pkg.*` is a package and all its modules; `cimjax` itself,
# because its __init__ imports the config).
FORBIDDEN_EXTERNAL = ("flax",)
FORBIDDEN_INTERNAL = ("cimjax", "cimjax.config.*", "cimjax.host_eval", "cimjax.compile_cache")

# Violations that exist today, each with a comment naming who removes it. Entries:
#   ("cycle", module, module, ...)   the members of one import cycle (a strongly connected component), sorted
#   ("reaches", module, imported)    a physics-layer module importing a forbidden (or forbidden-reaching) one
#   ("jax._src", module)             a module using JAX internals
KNOWN_VIOLATIONS: set = set()


# ---------------------------------------------------------------------------------------------
# The checker: pure functions of a source tree, so the self-tests can run them on a planted one.


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``source`` imports ``target`` at ``line``."""

    source: str
    target: str
    line: int


@dataclass
class Graph:
    """The imports of one package: cimjax-internal edges, external top-level names, jax._src uses."""

    modules: dict[str, Path]
    edges: dict[str, list[Import]]  # source -> its internal imports, in file order
    external: dict[str, list[Import]]  # source -> its imports of other distributions (target: top-level name)
    jax_src: dict[str, list[int]]  # source -> lines using jax._src


def _modules(root: Path, package: str) -> dict[str, Path]:
    """Module name -> file, for every ``.py`` under ``root/package`` (a package is its ``__init__``)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _dotted(node: ast.expr) -> str | None:
    """``a.b.c`` for an attribute chain on a name, else None."""
    names = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    names.append(node.id)
    return ".".join(reversed(names))


def _uses_jax_src(name: str) -> bool:
    return name == "jax._src" or name.startswith("jax._src.")


def build_graph(root: Path, package: str) -> Graph:
    """Parse every module of ``package`` (a directory under ``root``) into its import graph."""
    modules = _modules(root, package)
    edges: dict[str, list[Import]] = {}
    external: dict[str, list[Import]] = {}
    jax_src: dict[str, list[int]] = {}

    for name, path in modules.items():
        is_package = path.name == "__init__.py"
        here = name if is_package else name.rpartition(".")[0]  # the package relative imports start from
        tree = ast.parse(path.read_text(), filename=str(path))
        internal, other, src_lines = [], [], []
        # The names the jax module is bound to (`import jax`, `import jax as j`), for `j._src`.
        jax_names = {a.asname or "jax" for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names if a.name == "jax" or (a.asname is None and a.name.startswith("jax."))}

        def add(target: str, line: int) -> None:
            if target == package or target.startswith(package + "."):
                # The longest prefix that is a module: `import cimjax.hw.chip` is cimjax.hw.chip.
                while target not in modules:
                    target = target.rpartition(".")[0]
                internal.append(Import(name, target, line))
            else:
                other.append(Import(name, target.partition(".")[0], line))
                if _uses_jax_src(target):
                    src_lines.append(line)

        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    add(alias.name, node.lineno)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here.split(".")
                    base = base[: len(base) - (node.level - 1)]
                    parent = ".".join(base + ([node.module] if node.module else []))
                else:
                    parent = node.module
                for alias in node.names:
                    child = f"{parent}.{alias.name}"
                    if child in modules or (alias.name != "*" and _uses_jax_src(child)):
                        add(child, node.lineno)  # a submodule (`from jax import _src` included)
                    else:
                        add(parent, node.lineno)  # a name defined by the package (or *)
            elif isinstance(node, ast.Attribute):
                if node.attr == "_src" and isinstance(node.value, ast.Name) and node.value.id in jax_names:
                    src_lines.append(node.lineno)  # `jax._src` (or an alias's), once per attribute chain
            elif isinstance(node, ast.Call) and node.args:
                func = _dotted(node.func)
                arg = node.args[0]
                if (func in ("importlib.import_module", "import_module", "__import__")
                        and isinstance(arg, ast.Constant) and isinstance(arg.value, str)):
                    add(arg.value, node.lineno)
        edges[name] = sorted(internal, key=lambda i: i.line)
        external[name] = sorted(other, key=lambda i: i.line)
        if src_lines:
            jax_src[name] = sorted(set(src_lines))
    return Graph(modules, edges, external, jax_src)


def _strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's algorithm (iterative), each component sorted."""
    succ = {m: sorted({i.target for i in graph.edges[m]}) for m in graph.modules}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components = []
    for start in sorted(graph.modules):
        if start in index:
            continue
        work = [(start, iter(succ[start]))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(succ[child])))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def _path(graph: Graph, start: str, goal, allowed=None) -> list[Import] | None:
    """The shortest chain of imports from ``start`` to a module where ``goal(module)`` holds."""
    seen = {start}
    queue = deque([(start, [])])
    while queue:
        node, chain = queue.popleft()
        for imp in graph.edges[node]:
            if allowed is not None and imp.target not in allowed:
                continue
            if goal(imp.target):
                return chain + [imp]
            if imp.target in seen:
                continue
            seen.add(imp.target)
            queue.append((imp.target, chain + [imp]))
    return None


def _show(chain: Iterable[Import]) -> str:
    chain = list(chain)
    text = chain[0].source
    for imp in chain:
        text += f" -(line {imp.line})-> {imp.target}"
    return text


def find_cycles(graph: Graph) -> dict[tuple, str]:
    """Each import cycle: ``("cycle", *members)`` -> a readable cycle path through it."""
    found = {}
    for component in _strongly_connected(graph):
        head = component[0]
        members = set(component)
        chain = _path(graph, head, lambda m: m == head, allowed=members)
        if chain is None:  # a single module without a self-edge
            continue
        found[("cycle", *component)] = _show(chain)
    return found


def _in(module: str, prefixes: Iterable[str]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def find_forbidden(graph: Graph, pure: tuple[str, ...], forbidden_internal: tuple[str, ...],
                   forbidden_external: tuple[str, ...]) -> dict[tuple, str]:
    """Each edge by which a ``pure`` module reaches a forbidden one: ``("reaches", source, target)``.

    ``forbidden_internal`` holds module names, or ``package.*`` for a package and all its modules.
    ``target`` is the imported module (a forbidden one, or one that reaches a forbidden one through
    modules outside the pure layers), or the forbidden external top-level name (``flax``). Edges
    between pure modules are never reported: a violation further down is reported at its own edge.
    """

    def is_forbidden(module: str) -> bool:
        return any(module == f or (f.endswith(".*") and (module == f[:-2] or module.startswith(f[:-1])))
                   for f in forbidden_internal)

    def external(module: str) -> Import | None:
        return next((i for i in graph.external[module] if i.target in forbidden_external), None)

    def why(module: str) -> str | None:
        """How ``module`` reaches a forbidden module or distribution, or None."""
        if is_forbidden(module):
            return module
        if (ext := external(module)) is not None:
            return f"{module} -(line {ext.line})-> {ext.target}"
        chain = _path(graph, module, lambda m: is_forbidden(m) or external(m) is not None)
        if chain is None:
            return None
        end = chain[-1].target
        return _show(chain) + ("" if is_forbidden(end) else f" -(line {external(end).line})-> {external(end).target}")

    found = {}
    for source in sorted(graph.modules):
        if not _in(source, pure):
            continue
        for ext in graph.external[source]:
            if ext.target in forbidden_external:
                found.setdefault(("reaches", source, ext.target), f"{source} -(line {ext.line})-> {ext.target}")
        for imp in graph.edges[source]:
            if _in(imp.target, pure) or ("reaches", source, imp.target) in found:
                continue
            if (reason := why(imp.target)) is not None:
                found[("reaches", source, imp.target)] = f"{source} -(line {imp.line})-> {reason}"
    return found


def find_jax_src(graph: Graph) -> dict[tuple, str]:
    """Each module using JAX internals: ``("jax._src", module)`` -> its lines."""
    return {("jax._src", m): f"{m}, line(s) {', '.join(map(str, lines))}" for m, lines in graph.jax_src.items()}


def _compare(found: dict[tuple, str], known: set[tuple], kind: str, rule: str) -> None:
    """Fail on each violation of ``kind`` that is not known, and on each known one that is gone."""
    known = {v for v in known if v[0] == kind}
    new = sorted(set(found) - known)
    gone = sorted(known - set(found))
    message = []
    if new:
        message.append(f"{rule}:")
        message += [f"  {found[v]}\n    (entry {v!r})" for v in new]
    if gone:
        message.append("these KNOWN_VIOLATIONS no longer occur; delete them from tests/test_layering.py:")
        message += [f"  {v!r}" for v in gone]
    assert not message, "\n".join(message)


# ---------------------------------------------------------------------------------------------
# The rules on cimjax.


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(REPO, PACKAGE)


def test_no_import_cycles(graph):
    _compare(find_cycles(graph), KNOWN_VIOLATIONS, "cycle", "import cycles between cimjax modules (lazy imports count)")


def test_physics_layers_never_reach_flax_config_or_runtime(graph):
    found = find_forbidden(graph, PURE_LAYERS, FORBIDDEN_INTERNAL, FORBIDDEN_EXTERNAL)
    _compare(found, KNOWN_VIOLATIONS, "reaches",
             "devices/, analog/ and hw/ must not import flax, cimjax.config (or cimjax itself), "
             "cimjax.host_eval or cimjax.compile_cache, directly or through other modules")


def test_no_jax_internals(graph):
    _compare(find_jax_src(graph), KNOWN_VIOLATIONS, "jax._src", "jax._src is private to JAX and changes without notice")


def test_known_violations_are_well_formed():
    for entry in KNOWN_VIOLATIONS:
        kind, *names = entry
        assert kind in ("cycle", "reaches", "jax._src"), entry
        if kind == "cycle":
            assert len(names) >= 2 and names == sorted(names), f"{entry}: members sorted, at least two"


# ---------------------------------------------------------------------------------------------
# The checker on a planted package.


def _plant(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_checker_finds_planted_violations(tmp_path):
    _plant(tmp_path, {
        "pkg/__init__.py": "from pkg.config import Config\n",
        "pkg/config.py": "X = 1\n",
        "pkg/util.py": "from pkg.config import X\n\ndef f():\n    from . import other  # lazy: still an edge\n",
        "pkg/other.py": "from pkg.util import f\n",
        "pkg/phys/__init__.py": "from pkg.phys.a import A\nfrom pkg.phys.b import B\n",
        "pkg/phys/a.py": "A = 1\n",
        # A sibling by full name and as a submodule of the package: no cycle with __init__.
        "pkg/phys/b.py": "from pkg.phys.a import A\nfrom pkg.phys import a\nB = a.A\n",
        # Through a non-pure module to the config, and flax directly, both inside functions.
        "pkg/phys/c.py": "def g():\n    from ..util import f\n    import flax.nnx\n",
        "pkg/phys/d.py": "import jax\n\ndef h():\n    return jax._src.core.trace_ctx\n",
        "pkg/phys/e.py": "from jax import _src\n",
        "pkg/phys/g.py": "import jax as j\nimport jax.numpy as jnp\n\nX = j._src.core\nY = jnp.zeros\n",
        "pkg/util2.py": "import importlib\nM = importlib.import_module('pkg.config')\n",
        "pkg/phys/f.py": "from pkg import util2\n",
    })
    graph = build_graph(tmp_path, "pkg")

    cycles = find_cycles(graph)
    assert set(cycles) == {("cycle", "pkg.other", "pkg.util")}
    assert cycles[("cycle", "pkg.other", "pkg.util")] == "pkg.other -(line 1)-> pkg.util -(line 4)-> pkg.other"

    forbidden = find_forbidden(graph, ("pkg.phys",), ("pkg", "pkg.config"), ("flax",))
    assert set(forbidden) == {("reaches", "pkg.phys.c", "flax"), ("reaches", "pkg.phys.c", "pkg.util"),
                              ("reaches", "pkg.phys.f", "pkg.util2")}
    assert forbidden[("reaches", "pkg.phys.f", "pkg.util2")] == (
        "pkg.phys.f -(line 1)-> pkg.util2 -(line 2)-> pkg.config")
    assert "-(line 3)-> flax" in forbidden[("reaches", "pkg.phys.c", "flax")]

    assert set(find_jax_src(graph)) == {("jax._src", "pkg.phys.d"), ("jax._src", "pkg.phys.e"),
                                        ("jax._src", "pkg.phys.g")}
    assert graph.jax_src["pkg.phys.d"] == [4] and graph.jax_src["pkg.phys.g"] == [4]


def test_checker_counts_reexported_names_from_the_package_as_a_cycle(tmp_path):
    """A child taking a name its package re-exports reads a half-initialised package: a cycle."""
    _plant(tmp_path, {
        "pkg/__init__.py": "",
        "pkg/hw/__init__.py": "from pkg.hw.cost import Cost\nfrom pkg.hw.chip import chip\n",
        "pkg/hw/cost.py": "Cost = 1\n",
        "pkg/hw/chip.py": "from pkg.hw import Cost\n\ndef chip():\n    return Cost\n",
    })
    cycles = find_cycles(build_graph(tmp_path, "pkg"))
    assert set(cycles) == {("cycle", "pkg.hw", "pkg.hw.chip")}


def test_a_new_violation_and_a_stale_entry_both_fail():
    found = {("cycle", "a", "b"): "a -(line 1)-> b -(line 2)-> a"}
    with pytest.raises(AssertionError, match=r"(?s)cycles:.*a -\(line 1\)-> b"):
        _compare(found, set(), "cycle", "cycles")
    with pytest.raises(AssertionError, match=r"(?s)no longer occur.*'c', 'd'"):
        _compare(found, {("cycle", "a", "b"), ("cycle", "c", "d")}, "cycle", "cycles")
    _compare(found, {("cycle", "a", "b"), ("jax._src", "e")}, "cycle", "cycles")  # other kinds: other tests
