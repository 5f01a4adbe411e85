"""Text from outside made inert before a terminal, a log or a CI annotation shows it.

A pod's message, a chart's name, helm's or a gate's output can carry escape sequences (a
window title, the clipboard through OSC 52, a clear-screen) and, in GitHub Actions, lines
the runner executes as workflow commands. `inert` removes every C0 control but newline and
tab, DEL, every C1 control and every escape sequence (CSI, OSC ended by BEL or ST, DCS, SOS,
PM, APC: a string runs to its BEL or ST, or to the end of its line; and single ESC sequences;
in their 7-bit and 8-bit forms).

envman's own styles survive: `own` marks the escape sequences of a style envman applied with
a token drawn per process, which `terminal` turns back into ESC after sanitizing everything
else, so text from outside can never pass as envman's own.

In GitHub Actions (`github=True`) no line can start a workflow command: a line whose first
non-blank characters are `::`, and `##[` anywhere (the runner's older syntax), get a zero-width
space between their characters (`:\\u200b:`), which shows the text as it was and leaves the runner
nothing to parse. `stop_commands` wraps a multi-line block of outside text (helm's or a gate's
output) in `::stop-commands::<random token>` ... `::<token>::`; `escape_data` and
`escape_property` escape an annotation's message and properties as the Actions toolkit does.

JSON outputs do not pass here: `json.dumps` keeps the exact text, escaped.
"""

from __future__ import annotations

import re
import secrets

_STRING_END = r"(?:\x07|\x1b\\|\x9c)"
_SEQUENCE = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI: parameters, intermediates, final byte
    rf"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*{_STRING_END}?"  # OSC DCS SOS PM APC
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence, or a lone ESC
    r"|[\x00-\x08\x0b-\x1f\x7f-\x9f]"  # the other C0 controls (tab and newline stay), DEL, C1
)
_OWN = f"\ue000{secrets.token_hex(16)}\ue001"
"""Stands for ESC in envman's own styles until `terminal` restores it."""
_ZERO_WIDTH = "\u200b"
_COMMAND_START = re.compile(r"^([^\S\n]*:):", re.MULTILINE)
"""A line whose first non-blank characters (any Unicode blank, as the runner trims) are `::`."""
_OLD_COMMAND = "##["


def inert(text: str) -> str:
    """`text` without controls (but newline and tab) and escape sequences."""
    return _SEQUENCE.sub("", text)


def own(styled: str) -> str:
    """`styled`, a style envman applied around inert text, marked as envman's own: `terminal`
    keeps its escape sequences."""
    return styled.replace("\x1b", _OWN)


def terminal(text: str, *, github: bool = False) -> str:
    """What may reach a terminal or a log: `text` made inert but for the styles `own` marked;
    with `github`, no line of it can start a workflow command."""
    shown = "\x1b".join(inert(part) for part in text.split(_OWN))
    return no_commands(shown) if github else shown


def no_commands(text: str) -> str:
    """`text` with no line the GitHub Actions runner takes as a workflow command."""
    text = text.replace(_OLD_COMMAND, f"##{_ZERO_WIDTH}[")
    return _COMMAND_START.sub(rf"\1{_ZERO_WIDTH}:", text)


def stop_commands(lines: list[str]) -> list[str]:
    """`lines` (outside text, each already inert) between `::stop-commands::TOKEN` and
    `::TOKEN::`: the runner executes nothing in between. The token is random, so the text
    cannot end the block itself."""
    token = secrets.token_hex(16)
    return [f"::stop-commands::{token}", *(no_commands(line) for line in lines), f"::{token}::"]


def escape_data(text: str) -> str:
    """An annotation's message, as the Actions toolkit escapes it: on one line."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """An annotation's property (`title=...`), as the Actions toolkit escapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")
