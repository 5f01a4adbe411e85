"""A fake `helm` executable at the process seam, for exact argv assertions without a cluster.

The script records each call (argv and, when values come on stdin, the stdin text) and
answers with the first matching canned response; `once` responses are used up.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from envman.adapters.helm.binary import HelmBinary
from envman.adapters.helm.driver import HelmDriver
from envman.adapters.target import KubeTarget

_SCRIPT = """#!{python}
import json, sys
from pathlib import Path

here = Path(__file__).parent
args = sys.argv[1:]
stdin = sys.stdin.read() if "-" in args else None
with (here / "calls.jsonl").open("a") as fh:
    fh.write(json.dumps({{"argv": sys.argv, "stdin": stdin}}) + "\\n")
rules = json.loads((here / "responses.json").read_text())
for rule in rules:
    if args[: len(rule["prefix"])] == rule["prefix"]:
        if rule["once"]:
            rules.remove(rule)
            (here / "responses.json").write_text(json.dumps(rules))
        sys.stdout.write(rule["stdout"])
        sys.stderr.write(rule["stderr"])
        sys.exit(rule["rc"])
"""

VERSIONS = {3: "v3.19.0+g3d8990f", 4: "v4.3.1+gc0d08d0"}


class FakeHelm:
    """A fake helm of the given major version in `directory`."""

    def __init__(self, directory: Path, major: int) -> None:
        self.directory = directory
        self.major = major
        self.path = directory / "helm"
        self.path.write_text(_SCRIPT.format(python=sys.executable))
        self.path.chmod(0o755)
        self._write_rules([])
        self.respond("version", stdout=VERSIONS[major] + "\n")

    def respond(
        self, *prefix: str, stdout: str = "", stderr: str = "", rc: int = 0, once: bool = False
    ) -> None:
        """Answer calls starting with `prefix`; earlier responses win."""
        rule = {"prefix": list(prefix), "stdout": stdout, "stderr": stderr, "rc": rc, "once": once}
        self._write_rules([*self._rules(), rule])

    def respond_json(self, *prefix: str, doc: Any, once: bool = False) -> None:
        """Answer with `doc` as JSON on stdout."""
        self.respond(*prefix, stdout=json.dumps(doc), once=once)

    def calls(self) -> list[dict[str, Any]]:
        """Every recorded call: {"argv": [...], "stdin": str | None}."""
        log = self.directory / "calls.jsonl"
        if not log.exists():
            return []
        return [json.loads(line) for line in log.read_text().splitlines()]

    def argvs(self) -> list[list[str]]:
        """Every recorded argv without the executable."""
        return [call["argv"][1:] for call in self.calls()]

    def driver(self, target: KubeTarget) -> HelmDriver:
        """A real `HelmDriver` running this fake."""
        return HelmDriver(HelmBinary(self.path, self.major), target)

    def _rules(self) -> list[dict[str, Any]]:
        rules: list[dict[str, Any]] = json.loads((self.directory / "responses.json").read_text())
        return rules

    def _write_rules(self, rules: list[dict[str, Any]]) -> None:
        (self.directory / "responses.json").write_text(json.dumps(rules))


def release(revision: int = 1) -> dict[str, Any]:
    """The release JSON `helm upgrade --output json` prints for release `api`."""
    return {
        "name": "api",
        "namespace": "api",
        "version": revision,
        "info": {"status": "deployed", "last_deployed": "2025-03-04T05:06:07.123456789Z"},
        "chart": {"metadata": {"name": "demo", "version": "0.1.0", "appVersion": "1.0.0"}},
        "config": {"db": {"password": "from-values"}},
        "manifest": "---\n",
    }


def metadata(status: str = "deployed", revision: int = 1, **labels: str) -> dict[str, Any]:
    """A `helm get metadata --output json` document of release `api` in namespace `api`."""
    return {
        "name": "api",
        "chart": "demo",
        "version": "0.1.0",
        "appVersion": "1.0.0",
        "labels": labels,
        "namespace": "api",
        "revision": revision,
        "status": status,
        "deployedAt": "2025-03-04T05:06:07.123456789Z",
    }
