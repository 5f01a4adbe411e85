"""The example of ARCHITECTURE.md's "Adding a gate kind", loaded from the document itself: its
python blocks as the modules their first line names, the kind registered as the registry's
line would, the spec's `Gate` model rebuilt from the registry (as at import), and the probe
table's row the document gives."""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from envman.gates.kind import GateKind
from envman.gates.registry import KINDS
from envman.rollout.ports import ProbeWiring, wire
from envman.spec import models
from tests.conftest import ROOT

SECTION = "## Adding a gate kind"


@dataclass(frozen=True)
class Example:
    modules: dict[str, ModuleType]
    """By name: `envman.gates.tcp`, `envman.adapters.probes.tcp`."""
    kind: GateKind[Any]
    gate_model: type[models.GateSpec]
    row: ProbeWiring
    """The probe table's row, as the document writes it."""
    registry_line: str


def section() -> str:
    text = (ROOT / "ARCHITECTURE.md").read_text()
    return text.split(SECTION, 1)[1].split("\n## ", 1)[0]


def load(monkeypatch: pytest.MonkeyPatch) -> Example:
    """The documented kind, registered in `KINDS` until the test ends."""
    text = section()
    modules: dict[str, ModuleType] = {}
    namespace: dict[str, Any] = {"wire": wire}
    for path, code in re.findall(r"```python\n# (\S+)\.py\n(.*?)```", text, re.S):
        name = path.replace("/", ".")
        module = ModuleType(name)
        monkeypatch.setitem(sys.modules, name, module)
        exec(compile(code, f"ARCHITECTURE.md ({path}.py)", "exec"), module.__dict__)
        modules[name] = module
        namespace.update(vars(module))
    registry_line = re.search(r"registry\.py`: `(kind\.name: kind for kind in \((.*?)\))`", text)
    row = re.search(r"`(wire\(.*?\)),` in `PROBES`", text)
    assert registry_line and row, "the section gives the registry's line and the probe table's row"
    kind_class = registry_line.group(2).rsplit(", ", 1)[1].removesuffix("()")
    kind: GateKind[Any] = namespace[kind_class]()
    monkeypatch.setitem(KINDS, kind.name, kind)
    return Example(modules, kind, models._gate_model(), eval(row.group(1), namespace), registry_line.group(1))
