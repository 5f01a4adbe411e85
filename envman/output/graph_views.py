"""Text, dot and mermaid views of an environment's dependency layers and waves."""

from __future__ import annotations

from envman.plan.fleet import Fleet
from envman.plan.graph import dependency_edges, layers
from envman.plan.waves import WaveSettings


def _wave_notes(wave: WaveSettings) -> str:
    notes = ["gates: " + ", ".join(g.kind for g in wave.gates) if wave.gates else "no gates"]
    if wave.bake_seconds:
        notes.append(f"bake {int(wave.bake_seconds)}s")
    if wave.approval:
        notes.append("needs approval")
    notes.append(f"{wave.max_parallel} cluster{'s' if wave.max_parallel > 1 else ''} at once")
    return "; ".join(notes)


def text_view(fleet: Fleet) -> str:
    env = fleet.env
    lines = [f"environment {env.name}", "", "apps, in dependency layers:"]
    for index, layer in enumerate(layers(fleet.env), 1):
        needs = sorted({n for app in layer for n in env.apps[app].needs})
        after = f"  (after {', '.join(needs)})" if needs else ""
        lines.append(f"  {index}. {', '.join(layer)}{after}")
    lines += ["", "waves, in rollout order:"]
    for index, wave in enumerate(fleet.waves, 1):
        lines.append(f"  {index}. {wave.name}: {_wave_notes(wave)}")
        for cluster in wave.clusters:
            disabled = [a for a in env.apps if not any(a in layer for layer in fleet.layers[cluster])]
            off = f"  (not deployed: {', '.join(disabled)})" if disabled else ""
            lines.append(f"     - {cluster} [{fleet.region_of(cluster)}]{off}")
    return "\n".join(lines)


def dot_view(fleet: Fleet) -> str:
    env = fleet.env
    lines = [f'digraph "{env.name}" {{', "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for need, app in sorted(dependency_edges(env)):
        lines.append(f'  "{need}" -> "{app}";')
    previous = None
    for index, wave in enumerate(fleet.waves, 1):
        lines.append(f'  subgraph "cluster_wave_{index}" {{')
        lines.append(f'    label="wave {index}: {wave.name}";')
        for cluster in wave.clusters:
            lines.append(f'    "cluster:{cluster}" [label="{cluster}", shape=folder];')
        lines.append("  }")
        if previous is not None and wave.clusters:
            lines.append(f'  "cluster:{previous}" -> "cluster:{wave.clusters[0]}" [style=dashed];')
        if wave.clusters:
            previous = wave.clusters[-1]
    lines.append("}")
    return "\n".join(lines)


def _mermaid_id(prefix: str, name: str) -> str:
    return prefix + "_" + name.replace("-", "_")


def mermaid_view(fleet: Fleet) -> str:
    env = fleet.env
    lines = ["flowchart LR"]
    for app in env.apps:
        lines.append(f'  {_mermaid_id("app", app)}["{app}"]')
    for need, app in sorted(dependency_edges(env)):
        lines.append(f"  {_mermaid_id('app', need)} --> {_mermaid_id('app', app)}")
    previous = None
    for index, wave in enumerate(fleet.waves, 1):
        wave_id = _mermaid_id("wave", wave.name)
        lines.append(f'  subgraph {wave_id}["wave {index}: {wave.name}"]')
        lines.extend(f'    {_mermaid_id("cluster", c)}["{c}"]' for c in wave.clusters)
        lines.append("  end")
        if previous is not None:
            lines.append(f"  {previous} -.-> {wave_id}")
        previous = wave_id
    return "\n".join(lines)


VIEWS = {"text": text_view, "dot": dot_view, "mermaid": mermaid_view}
