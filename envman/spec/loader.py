"""Load environment files: parse, layer `extends` chains, validate, check names.

Every problem found in a run is collected and raised together as one `SpecError`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from envman.kit.errors import Location, Problem, SpecError
from envman.kit.suggest import did_you_mean
from envman.spec import checks
from envman.spec.environment import Environment, ValueLayer
from envman.spec.merge import deep_merge
from envman.spec.models import EnvironmentSpec
from envman.spec.pydantic_errors import problems_from
from envman.spec.value_keys import dotted_keys
from envman.spec.yamlsrc import Document, Locations, parse

ENV_DIR = "environments"


MoreChecks = Callable[[Environment], Iterable[Problem]]
"""Checks of a typed environment that live above the spec (the waves' clusters and regions),
run with its reference checks so that they are reported in the same round."""


class _Repository:
    """The parsed files of one repository root, and the problems found so far."""

    def __init__(
        self, root: Path, overrides: Mapping[str, str] | None = None, more_checks: MoreChecks | None = None
    ) -> None:
        self.root = root
        self.overrides = dict(overrides or {})
        self.more_checks = more_checks
        self.problems: list[Problem] = []
        self.documents: dict[str, Document] = {}
        self._read_environment_files()

    def _read_environment_files(self) -> None:
        env_dir = self.root / ENV_DIR
        if not env_dir.is_dir():
            raise SpecError([Problem(f"no {ENV_DIR}/ directory in {self.root}")])
        for path in sorted(env_dir.glob("*.y*ml")):
            if path.suffix in (".yaml", ".yml"):
                doc = self.parse_file(path)
                if doc is not None:
                    self.documents[path.stem] = doc

    def relative(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root))
        except ValueError:
            return str(path)

    def parse_file(self, path: Path) -> Document | None:
        try:
            name = self.relative(path)
            text = self.overrides[name] if name in self.overrides else path.read_text(encoding="utf-8")
            doc = parse(text, name)
        except SpecError as exc:
            self.problems.extend(exc.problems)
            return None
        except (OSError, UnicodeDecodeError) as exc:
            self.problems.append(Problem(f"cannot read: {exc}", Location(self.relative(path))))
            return None
        if doc.data is None:
            doc.data = {}
        if not isinstance(doc.data, dict):
            self.problems.append(Problem("expected a mapping at the top level", Location(doc.file, 1, 1)))
            return None
        return doc

    def chain(self, name: str) -> list[Document] | None:
        """The documents of `name`'s extends chain, base first; None after reporting a problem."""
        chain: list[str] = [name]
        while True:
            doc = self.documents[chain[-1]]
            parent = doc.data.get("extends")
            if parent is None:
                return [self.documents[n] for n in reversed(chain)]
            if not isinstance(parent, str) or parent not in self.documents:
                hint = did_you_mean(str(parent), self.documents) if isinstance(parent, str) else ""
                self.problems.append(
                    Problem(
                        f"extends: unknown environment {parent!r}{hint}", doc.locations.value(("extends",))
                    )
                )
                return None
            if parent in chain:
                self._report_cycle(chain, parent)
                return None
            chain.append(parent)

    def _report_cycle(self, chain: list[str], parent: str) -> None:
        """A cycle is reported by each of its members, from its own file; an environment
        that only leads into a cycle says so."""
        start = chain[0]
        where = self.documents[start].locations.value(("extends",))
        if parent == start:
            self.problems.append(Problem(f"extends cycle: {' -> '.join([*chain, start])}", where))
        else:
            self.problems.append(Problem(f"extends: {chain[1]!r} leads into an extends cycle", where))


def find_root(start: Path) -> Path:
    """The repository envman works on: `start` or its nearest parent holding `environments/`
    (as git finds its root); `start` itself when none does, so errors name that directory."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / ENV_DIR).is_dir():
            return folder
    return start


def load_environments(
    root: Path,
    names: Sequence[str] = (),
    overrides: Mapping[str, str] | None = None,
    more_checks: MoreChecks | None = None,
) -> dict[str, Environment]:
    """Load the named environments (all when none is named); raise every problem at once.
    `overrides` maps a file (relative to `root`) to the text to read instead of it."""
    repo = _Repository(root, overrides, more_checks)
    wanted = list(names) or sorted(repo.documents)
    for name in wanted:
        if name not in repo.documents and not _file_failed(repo, name):
            repo.problems.append(
                Problem(
                    f"unknown environment {name!r}{did_you_mean(name, repo.documents)}",
                    Location(f"{ENV_DIR}/"),
                )
            )
    environments = {}
    for name in wanted:
        if name in repo.documents:
            env = _load_one(repo, name)
            if env is not None:
                environments[name] = env
    problems = repo.problems if not names else [p for p in repo.problems if _concerns(repo, p, wanted)]
    if problems:
        raise SpecError(set(problems))
    return environments


def _concerns(repo: _Repository, problem: Problem, wanted: Sequence[str]) -> bool:
    """A problem of another environment's file does not fail the named ones."""
    if problem.location is None:
        return True
    path = Path(problem.location.file)
    if path.parent.as_posix() != ENV_DIR:
        return True
    related = set(wanted)
    for name in wanted:
        chain = repo.documents.get(name)
        while chain is not None and isinstance(chain.data.get("extends"), str):
            parent = chain.data["extends"]
            if parent in related:
                break
            related.add(parent)
            chain = repo.documents.get(parent)
    return path.stem in related


def load_environment(root: Path, name: str, more_checks: MoreChecks | None = None) -> Environment:
    """Load one environment that can be planned (not an abstract base)."""
    env = load_environments(root, [name], more_checks=more_checks)[name]
    if env.spec.abstract:
        raise SpecError(
            [
                Problem(
                    f"environment {name!r} is abstract (a base only); it cannot be planned or synced",
                    env.key_at("abstract"),
                )
            ]
        )
    return env


def _file_failed(repo: _Repository, name: str) -> bool:
    return any(p.location and Path(p.location.file).stem == name for p in repo.problems)


def _load_one(repo: _Repository, name: str) -> Environment | None:
    chain = repo.chain(name)
    if chain is None:
        return None
    data, locations = _layer(chain)
    try:
        spec = EnvironmentSpec.model_validate(data)
    except ValidationError as exc:
        repo.problems.extend(problems_from(exc, EnvironmentSpec, locations, data))
        return None
    env = Environment(
        name=name,
        file=chain[-1].file,
        root=repo.root,
        spec=spec,
        locations=locations,
        chain=tuple(doc.file for doc in chain),
        value_layers=_value_layers(chain, spec),
    )
    _read_charts(repo, env)
    _read_values_files(repo, env)
    repo.problems.extend(checks.check(env))
    if repo.more_checks is not None:
        repo.problems.extend(repo.more_checks(env))
    env.warnings.extend(dotted_keys(env))
    return env


def _layer(chain: Iterable[Document]) -> tuple[dict[str, Any], Locations]:
    data: dict[str, Any] = {}
    locations = Locations()
    for doc in chain:
        data = deep_merge(data, doc.data)
        locations.update(doc.locations)
    data.pop("extends", None)
    data["abstract"] = doc.data.get("abstract", False)
    return _drop_nulls(data), locations


def _drop_nulls(data: dict[str, Any], in_values: bool = False) -> dict[str, Any]:
    """`null` removes a spec key from a base; inside `values` it is kept for helm."""
    out: dict[str, Any] = {}
    for key, value in data.items():
        if value is None and not in_values:
            continue
        inner = in_values or key == "values"
        out[key] = _drop_nulls(value, inner) if isinstance(value, dict) else value
    return out


def _value_layers(chain: Sequence[Document], spec: EnvironmentSpec) -> dict[str, tuple[ValueLayer, ...]]:
    layers: dict[str, tuple[ValueLayer, ...]] = {}
    for app in spec.apps:
        per_file = []
        for doc in chain:
            app_doc = (doc.data.get("apps") or {}).get(app)
            if isinstance(app_doc, dict):
                files = tuple(app_doc.get("valuesFiles") or ())
                per_file.append(ValueLayer(doc.file, files, dict(app_doc.get("values") or {})))
        layers[app] = tuple(per_file)
    return layers


def _read_charts(repo: _Repository, env: Environment) -> None:
    for app in env.apps.values():
        chart_yaml = repo.root / app.chart / "Chart.yaml"
        if app.chart in env.chart_versions or not checks.is_local_chart(app.chart, env):
            continue
        if not checks.inside(repo.root, chart_yaml):
            continue
        if not chart_yaml.is_file():
            continue
        doc = repo.parse_file(chart_yaml)
        version = doc.data.get("version") if doc is not None else None
        if version is not None:
            env.chart_versions[app.chart] = str(version)


def _read_values_files(repo: _Repository, env: Environment) -> None:
    for layers in env.value_layers.values():
        for layer in layers:
            for name in layer.values_files:
                path = repo.root / name
                if name not in env.values_files and path.is_file() and checks.inside(repo.root, path):
                    doc = repo.parse_file(path)
                    if doc is not None:
                        env.values_files[name] = doc.data
