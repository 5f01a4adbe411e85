"""The one sanitizer of text from outside (`kit/inert`)."""

from __future__ import annotations

import click
import pytest

from envman.kit import inert
from tests.hostile import C0, C1, INJECTED, PAYLOAD, SAMPLES, assert_inert, commands_other_than, run_commands


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_class_of_control_and_escape_sequence_is_removed(name: str) -> None:
    shown = inert.inert(f"before {SAMPLES[name]}\nafter")
    assert_inert(shown)
    assert shown.startswith("before ") and shown.endswith("\nafter")


_INTRODUCERS = "\x90\x98\x9b\x9d\x9e\x9f"
"""C1 controls that start a sequence (DCS, SOS, CSI, OSC, PM, APC)."""


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("\x1b[2J\x1b[31;1mred\x1b[0m", "red"),
        ("a\x1b]0;pwned title\x07b", "ab"),
        ("a\x1b]52;c;Y3VybA==\x1b\\b", "ab"),
        ("a\x9d2;title\x9cb", "ab"),
        ("a\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\b", "alinkb"),
        ("a\x1bP1$qm\x1b\\b", "ab"),
        ("a\x1bXsos\x1b\\b\x1b^pm\x1b\\c\x1b_apc\x1b\\d", "abcd"),
        ("a\x1bcb\x1b(0c\x1b7d", "abcd"),
        ("a\x9b2Jb", "ab"),
        ("tab\tand\nnewline stay", "tab\tand\nnewline stay"),
        ("cr\r\nlf", "cr\nlf"),
        (f"{C0}x", "x"),
        ("".join(c for c in C1 if c not in _INTRODUCERS) + "\x7fx", "x"),
        ("a\x90dcs\x9cb\x98sos\x9cc\x9epm\x9cd\x9fapc\x9ce", "abcde"),
        ("lone \x1b", "lone "),
        ("é ü 日本 ✓ ↺", "é ü 日本 ✓ ↺"),
    ],
)
def test_only_the_sequences_go_and_the_text_stays(raw: str, kept: str) -> None:
    assert inert.inert(raw) == kept


def test_an_unterminated_string_sequence_ends_at_the_line() -> None:
    assert inert.inert("a\x1b]0;title never ended\nnext line") == "a\nnext line"


def test_envmans_own_styles_survive_and_outside_ones_do_not() -> None:
    mine = inert.own(click.style("ok", fg="green"))
    text = inert.terminal(f"{mine} {SAMPLES['csi-clear']} {click.style('forged', fg='red')}")
    assert text.startswith(click.style("ok", fg="green"))
    assert "\x1b[2J" not in text and "\x1b[31m" not in text
    assert text.count("\x1b") == 2  # the green on and off, nothing else


def test_the_own_mark_cannot_come_from_outside() -> None:
    """Without the process's token, outside text has no way to ask for an ESC."""
    text = inert.terminal("\ue000deadbeef\ue001[2J")
    assert "\x1b" not in text


def test_in_github_mode_no_line_starts_a_workflow_command() -> None:
    text = inert.terminal(f"error: upgrade failed: {PAYLOAD}", github=True)
    assert_inert(text)
    assert run_commands(text) == []
    assert "add-mask" in text and "INJECTED" in text  # shown, inert


@pytest.mark.parametrize(
    "line",
    [
        "::add-mask::x",
        "   ::add-mask::x",
        "\u00a0\u2003::add-mask::x",
        "text ##[add-mask]x",
        "::stop-commands::t",
    ],
)
def test_no_commands_escapes_every_form_the_runner_reads(line: str) -> None:
    assert run_commands(line)  # the runner would execute it as it is
    assert run_commands(inert.no_commands(line)) == []


def test_stop_commands_fence_a_block_with_a_token_it_cannot_guess() -> None:
    lines = inert.inert(INJECTED).splitlines()
    block = inert.stop_commands([*lines, "::stop-commands::other", "::deadbeef::"])
    assert block[0].startswith("::stop-commands::") and block[-1] == f"::{block[0].split('::')[2]}::"
    assert commands_other_than("\n".join(block), ()) == []
    second = inert.stop_commands(["x"])
    assert second[0] != block[0]


def test_annotation_data_and_properties_are_escaped_as_the_toolkit_does() -> None:
    assert inert.escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert inert.escape_property("a: b, c\n") == "a%3A b%2C c%0A"
