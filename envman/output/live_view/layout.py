"""The live view's lines (`lines(state, frame)`): never more than the terminal's height and
never wider than it. A finished or pending wave is one line; the running wave shows its
clusters with their releases in aligned columns, and its gates. When the height is short the
least important lines fold first (`live_folding`). The final screen (`Frame.final`) also
shows, under a wave that failed, why (wrapped, never cut) and where it was rolled back."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import OverflowMethod
from rich.text import Text

from envman.output.live_view.folding import FULL, HIDDEN, Item, cluster_modes, fold_waves
from envman.output.live_view.marks import (
    ASCII,
    BAD,
    GOOD,
    IDLE,
    ODD,
    RUNNING,
    Mark,
    clock,
    count,
    mark,
    span,
    step_time,
)
from envman.output.live_view.state import (
    NOT_STARTED,
    PENDING,
    ROLLING_BACK,
    ClusterView,
    LiveState,
    Step,
    WaveView,
)


@dataclass(frozen=True)
class Frame:
    """When and where the view is drawn: `now` on the state's clock, the terminal's size."""

    now: float
    width: int
    height: int
    ascii: bool = False
    final: bool = False
    """The screen left when the run ended: a failed wave's reason in full, wrapped."""


@dataclass(frozen=True)
class _WaveColumns:
    name: int
    status: int


def lines(state: LiveState, frame: Frame) -> list[Text]:
    """Every wave in order, folded to fit `frame.height`."""
    if frame.height < 1:
        return []
    waves = list(state.waves.values())
    columns = _WaveColumns(
        max((len(w.name) for w in waves), default=0),
        max((len(_wave_status(w)) for w in waves), default=0),
    )
    items = fold_waves(waves, frame.height, _fixed_lines)
    budget = frame.height - sum(_fixed_lines(item) for item in items)
    out: list[Text] = []
    for item in items:
        if isinstance(item, WaveView) and item.expanded:
            block = _wave_block(item, frame, columns, max(budget, 0))
            budget -= len(block) - _fixed_lines(item)
            out += block
        elif isinstance(item, WaveView):
            out.append(_wave_line(item, frame, columns))
            out += _outcome(item, frame) if frame.final else []
        else:
            out.append(_folded_waves(item))
    return [_fit(line, frame) for line in out[: frame.height]]


def _fixed_lines(item: Item) -> int:
    """Lines an item takes whatever the height: a wave's line, a running wave's header and
    gates."""
    if isinstance(item, WaveView) and item.expanded:
        return 2 if item.gates else 1
    return 1


def _fit(line: Text, frame: Frame) -> Text:
    """One terminal row: cut to the width, never wrapped."""
    if frame.ascii:
        line.plain = line.plain.translate(ASCII)
    overflow: OverflowMethod = "crop" if frame.ascii else "ellipsis"
    line.rstrip()
    line.no_wrap, line.overflow, line.end = True, overflow, "\n"
    line.truncate(frame.width, overflow=overflow)
    return line


def _head(glyph: Mark, indent: int, name: str, width: int) -> Text:
    text = Text(" " * indent)
    text.append(glyph[0], glyph[1])
    text.append(f" {name:<{width}}  ")
    return text


def _wave_status(wave: WaveView) -> str:
    return ROLLING_BACK if wave.rolling_back else wave.step.status


def _wave_line(wave: WaveView, frame: Frame, columns: _WaveColumns) -> Text:
    """`✓ canary  succeeded  55.9s  health ✓ command ✓ bake ✓`, `· world  pending  3 clusters`."""
    glyph = RUNNING if wave.rolling_back else mark(wave.step)
    line = _head(glyph, 0, wave.name, columns.name)
    line.append(f"{_wave_status(wave):<{columns.status}}", glyph[1])
    line.append(f" {step_time(wave.step, frame.now):>7}")
    if wave.step.running:
        done = sum(1 for c in wave.clusters.values() if c.step.done)
        line.append(f"  {done}/{len(wave.clusters)} clusters done", "dim")
    elif wave.step.status in (PENDING, NOT_STARTED):
        changes = sum(len(c.releases) for c in wave.clusters.values())
        line.append(f"  {count(len(wave.clusters), 'cluster')}, {count(changes, 'change')}", "dim")
    else:
        line.append_text(_gate_marks(wave, frame, done_only=True))
        if wave.step.detail and not (frame.final and _ended_badly(wave)):
            line.append(f"  {wave.step.detail}", "red" if glyph is BAD else "")
    return line


_BAD_ENDS = ("failed", "rolled-back", "rollback-failed")
_REASON_LINES = 8
"""At most this many lines of a reason (a gate's output tail) on the final screen."""


def _ended_badly(wave: WaveView) -> bool:
    return wave.step.status in _BAD_ENDS and bool(wave.step.text)


def _outcome(wave: WaveView, frame: Frame) -> list[Text]:
    """Under a wave that failed, on the final screen: why (the release and helm's error, or
    the pod, container, reason and message; a gate's output), and where it was rolled back."""
    if not _ended_badly(wave):
        return []
    out = _wrapped(BAD, wave.step.text, frame.width)
    rolled = sorted({c for (c, _), s in wave.rollbacks.items() if s.status == "succeeded"})
    if rolled:
        out += _wrapped(mark(Step("rolled-back")), f"rolled back on {', '.join(rolled)}", frame.width)
    for (cluster, app), step in wave.rollbacks.items():
        if step.status == "failed":
            out += _wrapped(BAD, f"rollback of {app} on {cluster} failed: {step.text}", frame.width)
    return out


def _wrapped(glyph: Mark, text: str, width: int, indent: int = 2) -> list[Text]:
    """`text` after `glyph`, wrapped to `width` under its first character."""
    body = max(width - indent - 2, 16)
    rows = [
        row
        for line in text.splitlines()[:_REASON_LINES]
        for row in textwrap.wrap(line, body, break_on_hyphens=False) or [""]
    ]
    out = []
    for number, row in enumerate(rows):
        line = Text(" " * indent)
        line.append(glyph[0] if number == 0 else " ", glyph[1])
        line.append(f" {row}", "red" if glyph is BAD else "")
        out.append(line)
    return out


def _folded_waves(waves: Sequence[WaveView]) -> Text:
    """`✓ 3 waves: canary ✓ us ✓ eu ↺` or `· 4 waves pending: world, apac, ...`."""
    if all(w.step.status == PENDING for w in waves):
        names = ", ".join(w.name for w in waves)
        return Text.assemble(("·", "dim"), f" {count(len(waves), 'wave')} pending: {names}")
    line = Text.assemble(("✓", "green"), f" {count(len(waves), 'wave')}:")
    for wave in waves:
        glyph = mark(wave.step)
        line.append(f" {wave.name} ")
        line.append(glyph[0], glyph[1])
    return line


def _wave_block(wave: WaveView, frame: Frame, columns: _WaveColumns, budget: int) -> list[Text]:
    clusters = list(wave.clusters.values())
    modes = cluster_modes(clusters, budget)
    block = [_wave_line(wave, frame, columns)]
    block += _cluster_lines(clusters, modes, frame)
    if HIDDEN in modes and budget > 0:
        block.append(_more_clusters([c for c, m in zip(clusters, modes, strict=True) if m == HIDDEN]))
    if wave.gates:
        block.append(Text("  gates").append_text(_gate_marks(wave, frame, done_only=False)))
    return block


def _cluster_lines(clusters: Sequence[ClusterView], modes: Sequence[int], frame: Frame) -> list[Text]:
    shown = [(c, m) for c, m in zip(clusters, modes, strict=True) if m != HIDDEN]
    name_width = max((len(c.name) for c, _ in shown), default=0)
    status_width = max((len(c.step.status) for c, _ in shown), default=0)
    columns = _ReleaseColumns.of([s for c, m in shown if m == FULL for s in c.releases.items()], frame)
    out: list[Text] = []
    for cluster, mode in shown:
        glyph = mark(cluster.step)
        line = _head(glyph, 2, cluster.name, name_width)
        line.append(f"{cluster.step.status:<{status_width}}", glyph[1])
        line.append(f"  {step_time(cluster.step, frame.now):>7}")
        if mode == FULL:
            out += [line, *(columns.line(app, step, frame) for app, step in cluster.releases.items())]
        else:
            out.append(line.append(f"  {_cluster_summary(cluster)}", "dim"))
    return out


_PODS_WIDTH = 16
"""At most this wide: a longer progress text is cut (`2/3 ready` and what the pods wait for
are split by `live_state`)."""


@dataclass(frozen=True)
class _ReleaseColumns:
    """Widths that line up every release row of a wave: name, status, pods, elapsed, limit."""

    name: int
    status: int
    pods: int
    time: int
    limit: int

    @classmethod
    def of(cls, rows: Sequence[tuple[str, Step]], frame: Frame) -> _ReleaseColumns:
        def widest(values: Iterable[str]) -> int:
            return max((len(v) for v in values), default=0)

        return cls(
            widest(app for app, _ in rows),
            widest(s.status for _, s in rows),
            min(widest(s.pods for _, s in rows), _PODS_WIDTH),
            widest(step_time(s, frame.now) for _, s in rows),
            widest(_limit(s) for _, s in rows),
        )

    def line(self, app: str, step: Step, frame: Frame) -> Text:
        """`  ● api  upgrading  2/3 ready  1m05s / 5m  detail`."""
        glyph = mark(step)
        line = _head(glyph, 4, app, self.name)
        line.append(f"{step.status:<{self.status}}", glyph[1])
        if self.pods:
            pods = step.pods if len(step.pods) <= self.pods else step.pods[: self.pods - 1] + "…"
            line.append(f"  {pods:<{self.pods}}")
        line.append(f"  {step_time(step, frame.now):>{self.time}}{_limit(step):<{self.limit}}")
        if step.detail or step.note:
            line.append(f"  {step.detail or step.note}", "red" if glyph is BAD else "dim")
        return line


def _limit(step: Step) -> str:
    return f" / {span(step.limit)}" if step.running and step.limit else ""


def _cluster_summary(cluster: ClusterView) -> str:
    """A folded cluster: `2/3 releases`, the running ones' pods, a failure's reason."""
    releases = cluster.releases
    if not releases:
        return ""
    done = sum(1 for s in releases.values() if s.done)
    parts = [f"{done}/{count(len(releases), 'release')}"]
    parts += [f"{app} {s.pods or s.status}" for app, s in releases.items() if s.running]
    parts += [f"{app}: {s.detail or s.status}" for app, s in releases.items() if mark(s) is BAD]
    return ", ".join(parts)


def _more_clusters(hidden: Sequence[ClusterView]) -> Text:
    counts = Counter(c.step.status for c in hidden)
    what = ", ".join(f"{n} {status}" for status, n in counts.items())
    return Text(f"  … and {count(len(hidden), 'more cluster')} ({what})", "dim")


def _gate_marks(wave: WaveView, frame: Frame, *, done_only: bool) -> Text:
    """`  health ✓  command ● 3s  helmTest ·  bake ● 12s left` (only gates that ran, for a
    finished wave)."""
    text = Text()
    for kind, sites in wave.gates.items():
        if done_only and not sites:
            continue
        glyph, note = _gate_state(kind, list(sites.values()), wave, frame)
        text.append(f"  {kind} ")
        text.append(glyph[0], glyph[1])
        if note:
            text.append(f" {note}", "dim")
    return text


def _gate_state(kind: str, sites: Sequence[Step], wave: WaveView, frame: Frame) -> tuple[Mark, str]:
    if not sites:
        return IDLE, span(wave.bake) if kind == "bake" and wave.bake else ""
    running = [s for s in sites if s.running]
    if running and kind == "bake":
        step = running[0]
        left = max((step.limit or 0.0) - (step.elapsed(frame.now) or 0.0), 0.0)
        return RUNNING, f"{clock(left)} left of {span(step.limit or 0.0)}"
    if running:
        done = len(sites) - len(running)
        return RUNNING, f"{done}/{len(sites)}" if len(sites) > 1 else step_time(running[0], frame.now)
    for glyph in (BAD, ODD):
        if any(mark(s) is glyph for s in sites):
            return glyph, ""
    return GOOD, ""
