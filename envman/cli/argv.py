"""The command line as given: global options are accepted after the command too (they are
moved in front of it before click parses), and the run's own arguments make the complete
continuation commands envman prints (approval, unlock)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field

from envman.kit.redact import Redactor

_WITH_VALUE = frozenset({"-C", "--root", "--kubeconfig"})
_FLAGS = frozenset({"--no-color", "--verbose"})


@dataclass
class Invocation:
    """One run of envman: its redactor and its arguments, global options first."""

    redactor: Redactor = field(default_factory=Redactor)
    global_args: list[str] = field(default_factory=list)
    command_args: list[str] = field(default_factory=list)

    def command(self, *args: str) -> str:
        """`envman <the run's global options> ARGS...`, quoted for a shell."""
        return shlex.join(["envman", *self.global_args, *args])

    def again(self, *extra: str) -> str:
        """This very command line, with `extra` arguments appended."""
        return self.command(*self.command_args, *extra)


def split(args: Sequence[str]) -> tuple[list[str], list[str]]:
    """(global options wherever they were, everything else in order); `--` ends the scan."""
    globals_: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        name = arg.split("=", 1)[0]
        if arg == "--":
            rest += args[i:]
            break
        if name in _WITH_VALUE and "=" not in arg and i + 1 < len(args):
            globals_ += args[i : i + 2]
            i += 2
            continue
        if name in _WITH_VALUE or arg in _FLAGS or _short_verbose(arg):
            globals_.append(arg)
        else:
            rest.append(arg)
        i += 1
    return globals_, rest


def _short_verbose(arg: str) -> bool:
    return len(arg) > 1 and arg[0] == "-" and arg[1] != "-" and set(arg[1:]) == {"v"}
