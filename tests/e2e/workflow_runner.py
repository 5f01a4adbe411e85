"""Run a GitHub Actions job's own shell steps locally, as the runner would: each `run:` with
`bash -e`, its `env:` with `${{ }}` expressions replaced from a given context, GITHUB_ENV and
GITHUB_OUTPUT honoured between steps, local composite actions expanded. Remote actions
(checkout, setup-python, upload-artifact) and the actions named in `skip` are not run: the
test provides what they would (the work tree, envman and helm on PATH)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@dataclass
class JobRun:
    """The outcome of a job: each step's outputs by id, and the transcript."""

    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    log: list[str] = field(default_factory=list)


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


class Runner:
    def __init__(
        self, repo: Path, context: Mapping[str, str], env: Mapping[str, str], skip: set[str]
    ) -> None:
        self.repo = repo
        self.context = dict(context)
        self.env = dict(env)
        self.skip = skip
        self.temp = repo.parent / "runner-temp"
        self.temp.mkdir(exist_ok=True)

    def expand(self, text: str, extra: Mapping[str, str] | None = None) -> str:
        values = {**self.context, **(extra or {})}

        def value(match: re.Match[str]) -> str:
            expression = match.group(1)
            assert expression in values, f"the test gives no value for ${{{{ {expression} }}}}"
            return values[expression]

        return _EXPRESSION.sub(value, text)

    def job(self, workflow: Path, name: str) -> JobRun:
        run = JobRun()
        for step in load(workflow)["jobs"][name]["steps"]:
            self._step(step, run, {})
        return run

    def _step(self, step: Mapping[str, Any], run: JobRun, inputs: Mapping[str, str]) -> None:
        uses = step.get("uses")
        if uses is not None:
            if uses.startswith("./") and uses not in self.skip:
                self._composite(self.repo / uses, step.get("with") or {}, run, inputs)
            return
        extra = {f"inputs.{k}": v for k, v in inputs.items()}
        extra.update(
            {f"steps.{sid}.outputs.{k}": v for sid, out in run.outputs.items() for k, v in out.items()}
        )
        output, github_env = self.temp / "output", self.temp / "env"
        output.write_text("")
        github_env.write_text("")
        env = {
            **self.env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_ENV": str(github_env),
            "RUNNER_TEMP": str(self.temp),
        }
        env.update({k: self.expand(str(v), extra) for k, v in (step.get("env") or {}).items()})
        script = self.expand(step["run"], extra)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=self.repo,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        run.log.append(f"$ {step.get('name', script.splitlines()[0])}\n{done.stdout}{done.stderr}")
        assert done.returncode == 0, "\n".join(run.log)
        run.outputs[step.get("id", "")] = _pairs(output.read_text())
        self.env.update(_pairs(github_env.read_text()))

    def _composite(
        self, action: Path, given: Mapping[str, Any], run: JobRun, outer: Mapping[str, str]
    ) -> None:
        spec = load(action / "action.yml")
        inputs = {k: str(v.get("default", "")) for k, v in (spec.get("inputs") or {}).items()}
        inputs.update(
            {k: self.expand(str(v), {f"inputs.{n}": x for n, x in outer.items()}) for k, v in given.items()}
        )
        saved = self.env.get("GITHUB_ACTION_PATH")
        self.env["GITHUB_ACTION_PATH"] = str(action)
        for step in spec["runs"]["steps"]:
            self._step(step, run, inputs)
        if saved is not None:
            self.env["GITHUB_ACTION_PATH"] = saved


def _pairs(text: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)
