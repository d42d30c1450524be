"""The ``zoryx`` command line as a user meets it: the installed console script in its own process
(version, help, usage errors, shell completion, plugin commands, the standalone emulator), and
``--help`` on every command and group of the real click tree."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from importlib.metadata import version
from pathlib import Path

import click
import pytest

from zoryx_core.cli import cli, main

ZORYX = Path(sys.executable).parent / "zoryx"
BUILTIN = {
    "run", "sandbox", "plugins", "demo", "emulator", "version", "new-plugin", "completion",
    "search", "install", "uninstall", "update", "marketplace", "storage",
}  # fmt: skip

CLASH = '''
import click
from zoryx_core import hookimpl


@hookimpl(trylast=True)  # asked after the recorder, so its name is taken by then
def zoryx_register_commands(cli):
    @cli.command("recorder-hello")
    def mine():
        """The same name as the recorder's."""

    @cli.command("clash-only")
    def only():
        """Only the clash extension has this one."""
        click.echo("clash ran")
'''

LEGACY = """
from zoryx_core import hookimpl


@hookimpl
def zoryx_cli_commands():
    return []
"""


def zoryx(*args: str, cwd: Path, site: Path | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    """The installed ``zoryx`` console script, run as a user runs it."""
    assert ZORYX.is_file(), f"the zoryx console script is not installed next to {sys.executable}"
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "_ZORYX", "COMP_"))}
    environ.update(env, COLUMNS="200")
    if site is not None:
        environ["PYTHONPATH"] = str(site)
    return subprocess.run(
        [str(ZORYX), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120
    )


def test_version_option_and_command_print_the_installed_version(tmp_path: Path) -> None:
    option = zoryx("--version", cwd=tmp_path)
    assert option.returncode == 0, option.stderr
    assert option.stdout.strip() == f"zoryx {version('zoryx-core')}"
    command = zoryx("version", cwd=tmp_path)
    assert command.returncode == 0 and command.stdout.strip() == version("zoryx-core")


def _paths(group: click.Group, ctx: click.Context, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            found += _paths(command, click.Context(command, parent=ctx, info_name=name), (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def _command_at(path: tuple[str, ...]) -> click.Command:
    command: click.Command = cli
    ctx = click.Context(cli, info_name="zoryx")
    for name in path:
        assert isinstance(command, click.Group)
        found = command.get_command(ctx, name)
        assert found is not None, path
        command = found
    return command


def test_every_command_and_group_has_help_listing_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    paths = _paths(cli, click.Context(cli, info_name="zoryx"))
    assert {path[0] for path in paths if path} >= BUILTIN
    assert ("storage", "migrate") in paths and ("marketplace", "build-catalog") in paths
    assert ("emulator", "coverage") in paths
    for path in paths:
        for flag in ("--help", "-h"):
            assert main([*path, flag]) == 0, path
            out = capsys.readouterr().out
            assert out.startswith(f"Usage: {' '.join(('zoryx', *path))} "), out
            for param in _command_at(path).params:
                if isinstance(param, click.Option):
                    assert param.opts[-1] in out, (path, param.opts)


def test_usage_errors_exit_2_naming_the_option_and_what_is_allowed(tmp_path: Path) -> None:
    unknown = zoryx("run", "--bogus", cwd=tmp_path)
    assert unknown.returncode == 2
    last = unknown.stderr.splitlines()[-1]
    assert last.startswith("Error: No such option") and "--bogus" in last
    choice = zoryx("storage", "migrate", "--to", "mysql", cwd=tmp_path)
    assert choice.returncode == 2
    assert "'--to': 'mysql' is not 'postgresql'" in choice.stderr.splitlines()[-1]
    number = zoryx("search", "--page", "0", cwd=tmp_path)
    assert number.returncode == 2 and "'--page': 0 is not in the range x>=1" in number.stderr
    both = zoryx("sandbox", "--no-plugins", "--plugins", "a", cwd=tmp_path)
    assert both.returncode == 2 and "--no-plugins and --plugins cannot be used together" in both.stderr
    script = zoryx("sandbox", "--script", "missing.txt", cwd=tmp_path)
    assert script.returncode == 2 and "--script missing.txt: no such file" in script.stderr
    command = zoryx("nonsense", cwd=tmp_path)
    assert command.returncode == 2 and "No such command 'nonsense'" in command.stderr


def _complete(words: str, cwd: Path, site: Path | None = None) -> subprocess.CompletedProcess[str]:
    cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
    return zoryx(cwd=cwd, site=site, _ZORYX_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=cword)


def _values(result: subprocess.CompletedProcess[str]) -> set[str]:
    assert result.returncode == 0, result.stderr
    return {line.split(",", 1)[1] for line in result.stdout.splitlines() if line.startswith("plain,")}


def test_bash_completion_offers_commands_options_and_plugin_commands(
    plugin_site: Path, tmp_path: Path
) -> None:
    assert _values(_complete("zoryx ", tmp_path)) >= BUILTIN
    assert _values(_complete("zoryx sto", tmp_path)) == {"storage"}
    assert _values(_complete("zoryx storage ", tmp_path)) == {"info", "migrate"}
    assert {"--config", "--env-file", "--no-plugins", "--plugins", "--hot-reload", "--quiet"} <= _values(
        _complete("zoryx run --", tmp_path)
    )
    assert _values(_complete("zoryx completion ", tmp_path)) == {"bash", "zsh", "fish"}
    with_plugins = _complete("zoryx rec", tmp_path, plugin_site)
    assert _values(with_plugins) == {"recorder-hello"}
    assert with_plugins.stderr == ""  # the refused 'run' is not reported in the middle of a command line


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_command_prints_the_script_for_each_shell(shell: str, tmp_path: Path) -> None:
    result = zoryx("completion", shell, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"_ZORYX_COMPLETE={shell}_complete" in result.stdout
    assert "zoryx" in result.stdout


def test_the_bash_script_completes_in_bash(tmp_path: Path) -> None:
    """What the README tells bash users to do: eval the script, then press Tab (played here by
    calling the completion function the script registered)."""
    script = """
        eval "$(zoryx completion bash)"
        complete -p zoryx
        COMP_WORDS=(zoryx stor); COMP_CWORD=1; _zoryx_completion zoryx; echo "words: ${COMPREPLY[*]}"
        COMPREPLY=(); COMP_WORDS=(zoryx storage migrate --t); COMP_CWORD=3; _zoryx_completion zoryx
        echo "options: ${COMPREPLY[*]}"
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "_ZORYX", "COMP_"))}
    env["PATH"] = f"{ZORYX.parent}{os.pathsep}{env.get('PATH', '')}"
    result = subprocess.run(
        ["bash", "--norc", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "complete -o nosort -F _zoryx_completion zoryx"
    assert lines[1] == "words: storage" and lines[2] == "options: --to"


def test_completion_refuses_an_unknown_shell(tmp_path: Path) -> None:
    result = zoryx("completion", "tcsh", cwd=tmp_path)
    assert result.returncode == 2
    assert "'tcsh' is not one of 'bash', 'zsh', 'fish'" in result.stderr


def test_plugin_commands_are_in_help_and_run_and_clashes_are_refused(
    plugin_site: Path, tmp_path: Path
) -> None:
    (tmp_path / "extensions").mkdir()
    (tmp_path / "extensions" / "clash.py").write_text(CLASH)
    (tmp_path / "extensions" / "legacy.py").write_text(LEGACY)

    listed = zoryx("--help", cwd=tmp_path, site=plugin_site)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines() if line.startswith("  ")}
    assert "Greets from the recorder plugin." in lines["recorder-hello"]
    assert "Only the clash extension has this one." in lines["clash-only"]
    assert "run the bot" in lines["run"]  # still the built-in
    warnings = listed.stderr.splitlines()
    assert (
        "warning: plugin zoryx-test-recorder: command 'run' is already taken by zoryx (built in); not added"
        in warnings
    )
    refused = "command 'recorder-hello' is already taken by plugin zoryx-test-recorder; not added"
    assert f"warning: plugin clash: {refused}" in warnings
    assert any(
        "plugin legacy: zoryx_cli_commands is no longer called" in line
        and "zoryx_register_commands(cli)" in line
        for line in warnings
    )

    hello = zoryx("recorder-hello", "--name", "zoryx", cwd=tmp_path, site=plugin_site)
    assert hello.returncode == 3, hello.stderr
    assert hello.stdout.strip() == "recorder says hello to zoryx"
    only = zoryx("clash-only", cwd=tmp_path, site=plugin_site)
    assert only.returncode == 0 and only.stdout.strip() == "clash ran"
    usage = zoryx("recorder-hello", "--nme", "x", cwd=tmp_path, site=plugin_site)
    assert usage.returncode == 2
    assert "Error: No such option" in usage.stderr and "--nme" in usage.stderr.splitlines()[-1]


def test_built_in_commands_and_version_do_not_load_plugins(plugin_site: Path, tmp_path: Path) -> None:
    # Loading the recorder plugin always warns about its 'run'; these calls must not load it.
    for args in (["--version"], ["version"], ["run", "--help"], ["storage", "--help"]):
        result = zoryx(*args, cwd=tmp_path, site=plugin_site)
        assert result.returncode == 0 and result.stderr == "", (args, result.stderr)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_emulator_listens_on_the_port_given(tmp_path: Path) -> None:
    port = _free_port()
    assert ZORYX.is_file()
    process = subprocess.Popen(
        [str(ZORYX), "emulator", "--port", str(port), "--token", "cli-token", "--shards", "3"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner = []
        for line in process.stdout:
            banner.append(line)
            if line.startswith("post as"):
                break
        assert f"Discord emulator on http://127.0.0.1:{port}" in banner[0], banner
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/v10/gateway/bot", headers={"Authorization": "Bot cli-token"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            answer = json.load(response)
        assert answer["shards"] == 3 and answer["url"].startswith(f"ws://127.0.0.1:{port}")
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0
