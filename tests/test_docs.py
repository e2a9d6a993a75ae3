"""README.md documents every command, keyboard shortcut and setting the code has, and no other."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from pathlib import Path

import pytest

from console.cli import build_parser
from console.core.settings import SETTINGS, Setting
from console.ui.actions import ACTIONS, CONTEXT_TITLES

README = Path(__file__).resolve().parent.parent / "README.md"
PROGRAM = "community-console"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(heading: str) -> str:
    """The README text under ``heading`` (a whole heading line), up to the next heading."""
    text = readme()
    lines = text.splitlines()
    assert heading in lines, f"README.md has no {heading!r} section"
    start = lines.index(heading) + 1
    level = len(heading) - len(heading.lstrip("#"))
    end = next((i for i in range(start, len(lines))
                if re.match(rf"#{{1,{level}}} ", lines[i])), len(lines))
    return "\n".join(lines[start:end])


# ---------------------------------------------------------------- command line
def subparsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return next((dict(a.choices) for a in parser._actions
                 if isinstance(a, argparse._SubParsersAction)), {})


def command_paths(parser: argparse.ArgumentParser,
                  prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command and subcommand, however deep, e.g. ("outbox", "send")."""
    paths = []
    for name, sub in subparsers(parser).items():
        paths.append((*prefix, name))
        paths += command_paths(sub, (*prefix, name))
    return paths


def path_of(parser: argparse.ArgumentParser, args: list[str]) -> tuple[str, ...]:
    """The command path of a command line, walking the real parser's options."""
    path: list[str] = []
    current = parser
    i = 0
    while i < len(args):
        token = args[i]
        if token.startswith("-") and token != "-":
            action = current._option_string_actions.get(token.split("=", 1)[0])
            if action is not None and action.nargs != 0 and "=" not in token:
                i += 1  # the option's value (every option here takes at most one)
        elif token in subparsers(current):
            path.append(token)
            current = subparsers(current)[token]
        i += 1
    return tuple(path)


def readme_command_lines() -> list[list[str]]:
    """The arguments of every ``community-console …`` line in README's shell blocks."""
    found = []
    for block in re.findall(r"```sh\n(.*?)```", readme(), flags=re.DOTALL):
        for line in block.splitlines():
            tokens = shlex.split(line, comments=True)
            starts = [i for i, t in enumerate(tokens) if t.rsplit("/", 1)[-1] == PROGRAM]
            if starts:
                found.append(tokens[starts[0] + 1:])
    return found


def test_readme_shows_every_command_and_subcommand() -> None:
    parser = build_parser()
    documented = {path_of(parser, args)[:n] for args in readme_command_lines()
                  for n in range(1, 4)}
    missing = [" ".join(p) for p in command_paths(parser) if p not in documented]
    assert missing == [], f"README.md's examples never run: {missing}"


def test_readme_names_every_global_option() -> None:
    text = readme()
    missing = [a.option_strings for a in build_parser()._actions
               if a.option_strings and a.dest != "help"
               and not any(re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", text)
                           for o in a.option_strings)]
    assert missing == []


@pytest.mark.parametrize("args", readme_command_lines(), ids=" ".join)
def test_readme_command_lines_parse(args: list[str]) -> None:
    """An example that the parser refuses (a renamed option, say) fails here."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            build_parser().parse_args(args)
        except SystemExit as exc:
            assert exc.code == 0, err.getvalue()  # --version exits 0


# ---------------------------------------------------------------- keyboard
KEYS_HEADING = "### Keyboard shortcuts"


def keyboard_rows() -> list[str]:
    """README's rows for the table of actions: one per action with keys."""
    return [f"| {' or '.join(f'`{k}`' for k in spec.shortcuts)} | {spec.help} |"
            for spec in ACTIONS if spec.shortcuts]


def render_keyboard_section() -> str:
    """What README's keyboard section should hold (printed when it drifts, to paste)."""
    out = []
    for context, title in CONTEXT_TITLES.items():
        specs = [s for s in ACTIONS if s.context == context and s.shortcuts]
        if specs:
            out += ["", f"**{title}**", "", "| Keys | What it does |", "|---|---|"]
            out += [f"| {' or '.join(f'`{k}`' for k in s.shortcuts)} | {s.help} |"
                    for s in specs]
    return "\n".join(out)


def test_readme_lists_every_shortcut_with_its_help() -> None:
    lines = section(KEYS_HEADING).splitlines()
    missing = [row for row in keyboard_rows() if row not in lines]
    assert missing == [], ("README.md's keyboard section drifted from console/ui/actions.py; "
                           "it should read:\n" + render_keyboard_section())


def test_readme_lists_no_shortcut_the_app_lacks() -> None:
    """``Ctrl+1…5`` for six views, a removed key: any key in the section must exist."""
    known = {k for spec in ACTIONS for k in spec.shortcuts}
    shown = set(re.findall(r"`([^`]+)`", section(KEYS_HEADING)))
    assert shown - known == set()


# ---------------------------------------------------------------- settings
SETTINGS_HEADING = "## Settings"


def setting_row(setting: Setting) -> str:
    return f"| `{setting.name}` | `{json.dumps(setting.default)}` | {setting.help} |"


def test_every_setting_has_help() -> None:
    assert [s.name for s in SETTINGS if len(s.help.strip()) < 10] == []


def test_readme_lists_every_setting_with_its_default_and_help() -> None:
    lines = section(SETTINGS_HEADING).splitlines()
    missing = [setting_row(s) for s in SETTINGS if setting_row(s) not in lines]
    assert missing == [], ("README.md's settings section drifted from "
                           "console/core/settings.py; these rows are missing:\n"
                           + "\n".join(missing))


def test_readme_lists_no_setting_the_app_lacks() -> None:
    names = set(re.findall(r"^\| `([^`]+)` \|", section(SETTINGS_HEADING), flags=re.MULTILINE))
    assert names - {s.name for s in SETTINGS} == set()
