"""The round-trip edit: quoting, indentation styles, new keys and their blank lines."""

from __future__ import annotations

import textwrap

from envman.promote.yamledit import edit


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def test_quoting_style_of_the_replaced_scalar_is_kept() -> None:
    text = "a: \"1.0\"\nb: '1.0'\nc: 1.0.0\n"
    writes = [(("a",), "2.0"), (("b",), "2.0"), (("c",), "2.0")]
    assert edit(text, writes, "f.yaml").text == "a: \"2.0\"\nb: '2.0'\nc: '2.0'\n"


def test_indentless_and_indented_sequences_are_detected() -> None:
    for sequence in ("list:\n- a\n- b\n", "list:\n  - a\n  - b\n"):
        text = (
            dedent("""
            apps:
                api:
                    values: {x: 1}
            """)
            + sequence
        )
        edited = edit(text, [(("apps", "api", "values", "x"), 2)], "f.yaml")
        assert (edited.text, edited.exact) == (text.replace("x: 1", "x: 2"), True)


def test_new_keys_keep_the_blank_lines_between_entries() -> None:
    text = dedent("""
        apps:
          api:
            values: {x: 1}

          web:
            values: {x: 1}

        rollout: {}
        """)
    edited = edit(text, [(("apps", "db", "version"), "1.0.0")], "f.yaml")
    assert edited.text == text.replace("\n\nrollout", "\n\n  db:\n    version: 1.0.0\n\nrollout")
