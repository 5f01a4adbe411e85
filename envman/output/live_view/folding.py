"""What the live view folds when the terminal is short, least important first.

Clusters of the running wave (`cluster_modes`): each starts `FULL` (its line and a line per
release). Then finished clusters fold to one line each, then pending ones, then finished
ones hide (counted on one `… and N more clusters` line), then pending ones from the last,
then running clusters fold and hide from the last; failed clusters go last of all.
Waves (`fold_waves`): when there are more than the height holds, the finished ones share
one line, and so do the pending ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from envman.output.live_view.state import ClusterView, WaveView

FULL, LINE, HIDDEN = 2, 1, 0


def _rank(cluster: ClusterView) -> str:
    if cluster.failed:
        return "failed"
    if cluster.step.running or any(s.running for s in cluster.releases.values()):
        return "running"
    return "done" if cluster.step.done else "pending"


_ORDER = (
    ("done", LINE, False),
    ("pending", LINE, False),
    ("done", HIDDEN, False),
    ("pending", HIDDEN, True),
    ("running", LINE, True),
    ("running", HIDDEN, True),
    ("failed", LINE, True),
    ("failed", HIDDEN, True),
)
"""(rank, the mode it folds to, from the last cluster first)."""


def _demotions(clusters: Sequence[ClusterView]) -> Iterator[tuple[int, int]]:
    ranks = [_rank(c) for c in clusters]
    for rank, mode, backwards in _ORDER:
        indexes = range(len(clusters) - 1, -1, -1) if backwards else range(len(clusters))
        yield from ((i, mode) for i in indexes if ranks[i] == rank)


def _cost(clusters: Sequence[ClusterView], modes: Sequence[int]) -> int:
    shown = sum(1 + len(c.releases) if m == FULL else m for c, m in zip(clusters, modes, strict=True))
    return shown + (1 if HIDDEN in modes else 0)


def cluster_modes(clusters: Sequence[ClusterView], budget: int) -> list[int]:
    """How each cluster shows (`FULL`, `LINE`, `HIDDEN`) in at most `budget` lines, counting
    the `… and N more` line; all `HIDDEN` when even that does not fit."""
    modes = [FULL if c.releases else LINE for c in clusters]
    folded: list[tuple[int, int]] = []
    for index, mode in _demotions(clusters):
        if _cost(clusters, modes) <= budget:
            break
        folded.append((index, modes[index]))
        modes[index] = min(modes[index], mode)
    for index, before in reversed(folded):  # lines left over: unfold the most important again
        now = modes[index]
        modes[index] = before
        if _cost(clusters, modes) > budget:
            modes[index] = now
    return modes


Item = WaveView | tuple[WaveView, ...]
"""A wave, or finished or pending waves folded into one line."""


def fold_waves(waves: Sequence[WaveView], height: int, fixed: Callable[[Item], int]) -> list[Item]:
    """The waves, with finished ones and then pending ones folded when their lines (`fixed`)
    would not leave at least one line for the running wave's clusters."""
    items: list[Item] = list(waves)
    running = any(w.expanded for w in waves)
    for group in ("done", "pending"):
        if sum(fixed(i) for i in items) + (1 if running else 0) <= height:
            break
        items = _fold(items, group)
    return items


def _fold(items: list[Item], group: str) -> list[Item]:
    members = tuple(i for i in items if isinstance(i, WaveView) and _group(i) == group)
    if len(members) < 2:
        return items
    at = next(n for n, i in enumerate(items) if i is members[0])
    rest = [i for i in items if not any(i is m for m in members)]
    return [*rest[:at], members, *rest[at:]]


def _group(wave: WaveView) -> str:
    if wave.expanded:
        return "running"
    return "pending" if wave.step.status == "pending" else "done"
