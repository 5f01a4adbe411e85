"""What `envman sync` shows while it runs, end to end: the live view in a real terminal (tmux
at 8, 12 and 50 rows, the whole scrollback checked; an approval asked and answered there),
and a reader that goes away (`| head -3`)."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import time
from collections.abc import Callable
from itertools import takewhile
from pathlib import Path

import pytest

from tests.e2e.conftest import SECRETS, Fleet, fast
from tests.e2e.test_sync import ENVMAN, results

pytestmark = pytest.mark.helm
WAVES = ("canary", "us", "world")
one_helm = pytest.mark.parametrize("helm_binary", ["helm4"], indirect=True)
_PASSED_ON = (
    "PATH",
    "PYTHONPATH",
    "HOME",
    "ENVMAN_HELM",
    "HELM_CACHE_HOME",
    "HELM_CONFIG_HOME",
    "HELM_DATA_HOME",
)


class Tmux:
    """A detached tmux session of `width` x `height` on its own server socket."""

    def __init__(self, where: Path, width: int, height: int) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            pytest.skip("tmux is not installed (.ci/run installs Debian's tmux)")
        self._base = [tmux, "-S", str(where / "tmux.sock"), "-f", os.devnull]
        self._size = (width, height)

    def start(self, script: Path) -> None:
        width, height = self._size
        self._tmux("new-session", "-d", "-x", str(width), "-y", str(height), "-s", "live", f"sh {script}")

    def screen(self, *, history: bool, joined: bool = False) -> list[str]:
        """The visible screen, or with `history` the whole scrollback above it too; `joined`:
        a line the terminal wrapped is one line."""
        options = [*(("-S", "-") if history else ()), *(("-J",) if joined else ())]
        return self._tmux("capture-pane", "-p", "-t", "live", *options).splitlines()

    def pipe(self, path: Path) -> None:
        """Append every byte the program writes to the terminal to `path`."""
        self._tmux("pipe-pane", "-t", "live", "-o", f"cat >> {shlex.quote(str(path))}")

    def title(self) -> str:
        """The window title the program set (OSC 0/2), or tmux's default."""
        return self._tmux("display-message", "-p", "-t", "live", "#{pane_title}").strip()

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "live", *keys)

    def close(self) -> None:
        subprocess.run([*self._base, "kill-server"], capture_output=True, check=False)

    def _tmux(self, *args: str) -> str:
        return subprocess.run([*self._base, *args], capture_output=True, text=True, check=True).stdout


def _script(prod: Fleet, tmp_path: Path, lines: int = 24, columns: int = 80) -> Path:
    """envman's sync in the terminal, as a person would run it: no CI variables; then the
    pane stays, so the final screen can be read. `LINES` and `COLUMNS` are stale (another
    size than the terminal's), as a shell may export them."""
    env = {name: os.environ[name] for name in _PASSED_ON if name in os.environ}
    env |= {**SECRETS, "LANG": "C.UTF-8", "LINES": str(lines), "COLUMNS": str(columns)}
    exports = "".join(f"export {name}={shlex.quote(value)}\n" for name, value in env.items())
    argv = [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig)]
    argv += ["sync", "prod", "--yes", "--report", str(tmp_path / "report.json")]
    script = tmp_path / "run.sh"
    script.write_text(
        f"unset CI GITHUB_ACTIONS NO_COLOR\n{exports}{shlex.join(argv)}\n"
        f"echo $? > {tmp_path / 'rc'}\nexec sleep 600\n"
    )
    return script


def _wait_for(ready: Callable[[], str | None], seconds: float, what: str) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = ready()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} not seen within {seconds:.0f}s")


def _in_terminal(
    prod: Fleet,
    tmp_path: Path,
    rows: int,
    meanwhile: Callable[[Tmux], None] = lambda _: None,
    columns: int = 100,
) -> tuple[str, list[str], list[str]]:
    """Run the sync in a `columns` x `rows` terminal: its exit code, the whole scrollback,
    the final screen."""
    terminal = Tmux(tmp_path, columns, rows)
    rc = tmp_path / "rc"
    try:
        terminal.start(_script(prod, tmp_path))
        meanwhile(terminal)
        code = _wait_for(lambda: rc.read_text().strip() if rc.exists() else None, 120, "the end of the sync")
        time.sleep(0.3)
        return code, terminal.screen(history=True), terminal.screen(history=False)
    finally:
        terminal.close()


@one_helm
@pytest.mark.parametrize("rows", [8, 50])
def test_the_live_view_fits_the_terminal_and_leaves_a_clean_final_screen(
    prod: Fleet, tmp_path: Path, rows: int
) -> None:
    fast(prod)
    code, history, final = _in_terminal(prod, tmp_path, rows)
    shown = "\n".join(history)
    assert code == "0", shown
    assert results(json.loads((tmp_path / "report.json").read_text())) == dict.fromkeys(WAVES, "succeeded")
    for wave in WAVES:
        headers = [line for line in history if re.match(rf"^\S {wave}\s", line)]
        assert 1 <= len(headers) <= 2, f"wave {wave}'s line {len(headers)} times in the scrollback:\n{shown}"
        assert any(re.match(rf"^✓ {wave}\s+succeeded\s", line) for line in final), "\n".join(final)
    canary = next(line for line in final if line.startswith("✓ canary"))
    assert all(f"{gate} ✓" in canary for gate in ("health", "command", "helmTest", "bake")), canary
    assert any(line.startswith("sync prod: succeeded in ") for line in final), "\n".join(final)
    assert "\x1b" not in shown and "Traceback" not in shown


@one_helm
def test_an_approval_is_asked_on_the_terminal_while_the_view_steps_aside(prod: Fleet, tmp_path: Path) -> None:
    fast(prod)
    prod.edit("environments/prod.yaml", "# approval: true", "approval: true")
    question = "Start wave us of prod"

    def answer(terminal: Tmux) -> None:
        def asked() -> str | None:
            return next((line for line in terminal.screen(history=False) if question in line), None)

        line = _wait_for(asked, 90, "the approval question")
        assert line.rstrip().endswith("[y/N]:"), line
        terminal.keys("y", "Enter")

    code, history, final = _in_terminal(prod, tmp_path, 12, answer)
    shown = "\n".join(history)
    assert code == "0", shown
    assert results(json.loads((tmp_path / "report.json").read_text())) == dict.fromkeys(WAVES, "succeeded")
    assert sum(question in line for line in history) == 1, shown
    assert any(line.startswith("approval us: approved") for line in history), shown
    assert any(re.match(r"^✓ us\s+succeeded\s", line) for line in final), "\n".join(final)


@one_helm
def test_a_reader_that_goes_away_never_stops_the_sync(prod: Fleet, tmp_path: Path) -> None:
    """`envman sync prod --report r.json 2>&1 | head -3`."""
    fast(prod)
    report = tmp_path / "r.json"
    argv = [str(ENVMAN), "-C", str(prod.root), "--kubeconfig", str(prod.sandbox.kubeconfig)]
    run = subprocess.Popen(
        [*argv, "sync", "prod", "--report", str(report)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "ENVMAN_HELM": str(prod.helm)},
    )
    assert run.stdout is not None
    head = [run.stdout.readline() for _ in range(3)]
    run.stdout.close()
    assert run.wait(timeout=120) == 0, head
    doc = json.loads(report.read_text())
    assert doc["result"] == "succeeded" and results(doc) == dict.fromkeys(WAVES, "succeeded")
    assert all(c["releases"] for w in doc["waves"] for c in w["clusters"])
    assert "run: started" in head[0]


SIZES = pytest.mark.parametrize(("columns", "rows"), [(80, 24), (120, 30)])


def _failed_screen(prod: Fleet, tmp_path: Path, columns: int, rows: int) -> tuple[list[str], str, str]:
    """A failing sync in a `columns` x `rows` terminal: the final screen (checked: no line
    cut), the reason under the failed canary wave (its wrapped lines joined), and the last
    `error:` line (as the terminal wrapped it, joined)."""
    terminal = Tmux(tmp_path, columns, rows)
    rc = tmp_path / "rc"
    try:
        terminal.start(_script(prod, tmp_path))
        code = _wait_for(lambda: rc.read_text().strip() if rc.exists() else None, 150, "the end of the sync")
        time.sleep(0.3)
        final, joined = terminal.screen(history=False), terminal.screen(history=True, joined=True)
    finally:
        terminal.close()
    shown = "\n".join(final)
    assert code == "3", shown
    assert all(len(line) <= columns and not line.rstrip().endswith("…") for line in final), shown
    wave = next(i for i, line in enumerate(final) if line.startswith("↺ canary "))
    reason = []
    for line in final[wave + 1 :]:
        if not line.startswith("  "):
            break
        reason.append(line.strip())
    error = max(i for i, line in enumerate(joined) if line.startswith("error: "))
    rows = [joined[error], *takewhile(lambda line: line.startswith(" " * 7), joined[error + 1 :])]
    assert all(len(row) <= columns for row in rows), "\n".join(rows)
    return final, " ".join(reason), " ".join(row.strip() for row in rows)


def _ends_with_the_reason(prod: Fleet, tmp_path: Path, columns: int, rows: int, *why: str) -> None:
    final, reason, error = _failed_screen(prod, tmp_path, columns, rows)
    shown = "\n".join(final)
    assert reason.startswith("✗ upgrade of api on prod-use1-canary failed: "), shown
    assert all(part in reason for part in why), shown
    assert reason.endswith("↺ rolled back on prod-use1-canary"), shown
    assert error.startswith("error: wave canary: upgrade of api on prod-use1-canary failed: "), error
    assert all(part in error for part in why), error
    assert _ends_with_the_report(error, tmp_path), error


def _ends_with_the_report(error: str, tmp_path: Path) -> bool:
    """The last `error:` line ends naming the rolled-back cluster and the report; a path longer
    than a row is cut where the row ends (so its rows are joined without the space between)."""
    ending = f"; rolled back on prod-use1-canary; report: {tmp_path / 'report.json'}"
    return error.replace(" ", "").endswith(ending.replace(" ", ""))


def _canary_then(prod: Fleet, timeout: str = "60s") -> None:
    """The canary runs the spec (installed by helm), then api's image tag changes."""
    fast(prod, timeout)
    prod.apply("prod-use1-canary")
    prod.edit("environments/prod.yaml", 'image: {tag: "2.7.0"}      #', 'image: {tag: "2.7.1"}      #')


@one_helm
@SIZES
def test_the_final_screen_carries_the_api_servers_rejection(
    prod: Fleet, tmp_path: Path, columns: int, rows: int
) -> None:
    """An object the API server rejects (an invalid name): helm's error line, whole."""
    _canary_then(prod)
    bad = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Bad_Name"}, "data": {"a": "b"}}
    (prod.root / "charts" / "api" / "templates" / "bad.yaml").write_text(json.dumps(bad) + "\n")
    _ends_with_the_reason(
        prod,
        tmp_path,
        columns,
        rows,
        "helm: ",
        'ConfigMap "Bad_Name" is invalid',
        "alphanumeric characters or '-'",
    )


@one_helm
@SIZES
def test_the_final_screen_carries_fail_fasts_pod_container_reason_and_message(
    prod: Fleet, tmp_path: Path, columns: int, rows: int
) -> None:
    _canary_then(prod)
    prod.sandbox.fail("prod-use1-canary", "api", mode="crash-loop")
    _, reason, error = _failed_screen(prod, tmp_path, columns, rows)
    for text in (reason, error):
        assert re.search(
            r"(CrashLoopBackOff|RestartedTooOften) \(pod api-[-a-z0-9]+, container api\): \S", text
        ), text
    assert _ends_with_the_report(error, tmp_path), error


@one_helm
@SIZES
def test_the_final_screen_carries_helms_timeout(prod: Fleet, tmp_path: Path, columns: int, rows: int) -> None:
    _canary_then(prod, "6s")
    prod.sandbox.fail("prod-use1-canary", "api", mode="never-ready")
    _ends_with_the_reason(prod, tmp_path, columns, rows, "helm: ", "context deadline exceeded")
