"""The click group, its global options, and the one place errors become exit codes.

It imports click, the kit and the command table only: a command's module (and what it
needs: pydantic, the kubernetes client, pyhelm3, rich) is imported when that command runs,
so `--version`, `--help` and shell completion start at once (`commands.COMMANDS`).
"""

from __future__ import annotations

import functools
import importlib
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click
from click.shell_completion import CompletionItem

from envman.cli import argv
from envman.cli.commands import COMMANDS
from envman.kit import inert
from envman.kit.errors import EXIT_ERROR, EnvmanError, Problem, SpecError
from envman.kit.redact import RedactingStream

if TYPE_CHECKING:
    from envman.application.app import Application
    from envman.plan.fleet import Fleet
    from envman.spec.environment import Environment


@dataclass
class State:
    """Global options and the command's `Application` (built on first use), shared by every
    command."""

    root: Path
    kubeconfig: Path | None
    color: bool | None
    invocation: argv.Invocation = field(default_factory=argv.Invocation)
    _app: Application | None = None

    @property
    def app(self) -> Application:
        if self._app is None:
            from envman.application.app import Application

            self._app = Application(
                self.root,
                self.kubeconfig,
                redactor=self.invocation.redactor,
                warn=lambda problem: warn(problem, self.color),
            )
        return self._app

    def close(self) -> None:
        if self._app is not None:
            self._app.close()

    def load(self, name: str) -> Environment:
        return self.app.load(name)

    def fleet(self, name: str) -> Fleet:
        return self.app.fleet(name)

    def echo(self, message: str = "", *, err: bool = False, nl: bool = True) -> None:
        """Print `message`, made inert (`shown`), through the redacting sink every output
        passes (see `EnvmanGroup`)."""
        click.echo(shown(message, os.environ), err=err, nl=nl, color=self.color)

    def echo_unredacted(self, message: str) -> None:
        """Print to the real stdout: only for what the user asked to see (`--show-secrets`)."""
        out = sys.stdout.raw if isinstance(sys.stdout, RedactingStream) else sys.stdout
        click.echo(shown(message, os.environ), file=out, color=self.color)

    def style(self, text: str, **styles: Any) -> str:
        """`text`, made inert, in envman's own style (which `echo` keeps)."""
        return inert.inert(text) if self.color is False else style(text, **styles)


def style(text: str, **styles: Any) -> str:
    """`click.style` around `text` made inert, marked as envman's own (`inert.own`)."""
    return inert.own(click.style(inert.inert(text), **styles))


def shown(message: str, environ: Mapping[str, str]) -> str:
    """What the CLI prints of `message`: text from outside (a cluster, a chart, helm, a gate)
    made inert, envman's own styles kept; in GitHub Actions no line of it starts a workflow
    command. Every line the CLI prints passes here (`State.echo`, `report`, the log handler)."""
    return inert.terminal(message, github=github_actions(environ))


def github_actions(environ: Mapping[str, str]) -> bool:
    return environ.get("GITHUB_ACTIONS") == "true"


def warn(problem: Problem, color: bool | None) -> None:
    """Print a located warning (`warning: file:line:col: ...`) on stderr."""
    _labelled("warning:", str(problem), color, fg="yellow")


def report(error: EnvmanError, color: bool | None) -> None:
    """Print an expected failure: one line per problem, no traceback."""
    for line in str(error).splitlines() or [type(error).__name__]:
        _labelled("error:", line, color, fg="red", bold=True)
    if isinstance(error, SpecError) and len(error.problems) > 1:
        click.echo(f"{len(error.problems)} problems found", err=True, color=color)


def _labelled(label: str, text: str, color: bool | None, **styles: Any) -> None:
    """`label text` on stderr, the label in `styles` (unless colours are off), made inert."""
    prefix = style(label, **styles) if color is not False else label
    click.echo(shown(f"{prefix} {text}", os.environ), err=True, color=color)


class EnvmanGroup(click.Group):
    """Maps every expected failure to its exit code; usage errors exit 1, never 2. Its
    commands come from `COMMANDS`, each module imported when its command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"envman.cli.{COMMANDS[cmd_name][0]}")
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of `--help`, from the table (no command module imported)."""
        width = formatter.width - 6 - max(len(name) for name in COMMANDS)
        rows = [
            (name, click.Command(name, help=summary).get_short_help_str(width))
            for name, (_, summary) in COMMANDS.items()
        ]
        with formatter.section("Commands"):
            formatter.write_dl(sorted(rows))

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        """Command names (from the table) and the group's options: nothing imported."""
        names = [CompletionItem(n, help=COMMANDS[n][1]) for n in sorted(COMMANDS) if n.startswith(incomplete)]
        return names + click.Command.shell_complete(self, ctx, incomplete)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        code = self._run(args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None, **extra: Any
    ) -> int:
        """Run the command with stdout and stderr behind one redacting sink (`ctx.obj` is the
        `Invocation` with its redactor until the group builds the `Application` around it);
        global options given after the command are moved in front of it. A closed stdout or
        stderr drops output there and never stops the command (`RedactingStream`)."""
        global_args, command_args = argv.split(list(sys.argv[1:] if args is None else args))
        invocation = argv.Invocation(global_args=global_args, command_args=command_args)
        streams = sys.stdout, sys.stderr
        sinks = (
            RedactingStream(sys.stdout, invocation.redactor),
            RedactingStream(sys.stderr, invocation.redactor),
        )
        sys.stdout, sys.stderr = sinks
        try:
            return self._command(
                [*global_args, *command_args], prog_name, complete_var, obj=invocation, **extra
            )
        finally:
            for sink in sinks:  # a reader gone meanwhile is found here, not at the exit flush
                sink.flush()
            sys.stdout, sys.stderr = streams

    def _command(
        self, args: Sequence[str] | None, prog_name: str | None, complete_var: str | None, **extra: Any
    ) -> int:
        color = False if os.environ.get("NO_COLOR") else None
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.ClickException as exc:
            exc.show()
            return EXIT_ERROR
        except (click.Abort, KeyboardInterrupt):
            click.echo("aborted", err=True)
            return EXIT_ERROR
        except EnvmanError as exc:
            report(exc, color)
            return exc.exit_code
        return result if isinstance(result, int) else 0


@click.group(cls=EnvmanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-C",
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Repository root holding environments/ and charts/ (default: the current directory, "
    "or its nearest parent that has environments/, as git finds its root).",
)
@click.option("--no-color", is_flag=True, help="No colours in output (also: the NO_COLOR variable).")
@click.option("-v", "--verbose", count=True, help="Log each helm command (-v); debug detail (-vv).")
@click.option(
    "--kubeconfig",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="kubeconfig for clusters whose spec names none (default: $KUBECONFIG or ~/.kube/config).",
)
@click.version_option(package_name="envman", prog_name="envman")
@click.pass_context
def cli(ctx: click.Context, root: Path | None, no_color: bool, verbose: int, kubeconfig: Path | None) -> None:
    """Declarative environments of Helm releases across many Kubernetes clusters.

    Exit codes: 0 success, 1 invalid input or error, 2 plan, diff or status found changes
    or drift (--detailed-exitcode), 3 rollout failed, 4 stopped before a wave that needs
    approval.
    """
    from envman.adapters import run_dir
    from envman.spec.loader import find_root

    color = False if no_color or os.environ.get("NO_COLOR") else None
    _log_to_stderr({0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG))
    run_dir.sweep()  # first: what a killed run left (its helm configuration, credentials)
    repository = find_root(Path.cwd()) if root is None else root.resolve()
    invocation = ctx.obj if isinstance(ctx.obj, argv.Invocation) else argv.Invocation()
    state = State(repository, kubeconfig, color, invocation)
    ctx.call_on_close(state.close)
    ctx.obj = state


pass_state = click.make_pass_decorator(State)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever `sys.stderr` is when a line is logged, made inert (`shown`); in
    GitHub Actions a record of several lines (helm's whole output) goes between
    `::stop-commands::` and its end."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)

    def format(self, record: logging.LogRecord) -> str:
        text = shown(super().format(record), os.environ)
        lines = text.splitlines()
        if len(lines) > 1 and github_actions(os.environ):
            return "\n".join([lines[0], *inert.stop_commands(lines[1:])])
        return text


def _log_to_stderr(level: int) -> None:
    """envman's own log lines (`envman: ...`) on stderr, at `level`."""
    log = logging.getLogger("envman")
    log.setLevel(level)
    if not any(isinstance(h, _StderrHandler) for h in log.handlers):
        handler = _StderrHandler()
        handler.setFormatter(logging.Formatter("envman: %(message)s"))
        log.addHandler(handler)


def selectors(func: Any) -> Any:
    """The repeatable --cluster, --region, --app and -l/--selector options, passed on as
    `choice: Choice`."""

    @functools.wraps(func)
    def with_choice(
        *args: Any,
        clusters: tuple[str, ...],
        regions: tuple[str, ...],
        apps: tuple[str, ...],
        labels: tuple[str, ...],
        **kwargs: Any,
    ) -> Any:
        from envman.application.app import Choice

        return func(*args, choice=Choice(clusters, regions, apps, labels), **kwargs)

    command: Any = click.option(
        "-l",
        "--selector",
        "labels",
        multiple=True,
        metavar="KEY=VALUE",
        help="Only clusters with this label (repeatable: all must match).",
    )(with_choice)
    for name in ("app", "region", "cluster"):
        command = click.option(
            f"--{name}",
            f"{name}s",
            multiple=True,
            metavar=name.upper(),
            help=f"Only this {name} (repeatable).",
        )(command)
    return command


no_refresh = click.option(
    "--no-refresh",
    "refresh",
    is_flag=True,
    flag_value=False,
    default=True,
    help="Do not read the live objects (no drift check): helm's release records only.",
)
detailed_exitcode = click.option(
    "--detailed-exitcode", is_flag=True, help="Exit 0 when nothing changes, 2 when something does."
)
