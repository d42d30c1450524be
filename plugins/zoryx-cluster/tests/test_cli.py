"""``zoryx cluster`` on the command line: the plugin registers it through
``zoryx_register_commands``, so it is listed in ``zoryx --help`` and its options are checked."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "_ZORYX"))}
    env["COLUMNS"] = "200"
    return subprocess.run(
        [sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_zoryx_help_lists_the_cluster_command(tmp_path: Path) -> None:
    result = run("-m", "zoryx_core.cli", "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.strip().startswith("cluster "))
    assert "several processes and machines" in line
    usage = run("-m", "zoryx_core.cli", "cluster", "run", "--help", cwd=tmp_path)
    assert usage.returncode == 0, usage.stderr
    for option in ("--shards", "--clusters", "--processes", "--env-file", "--lease-seconds"):
        assert option in usage.stdout


def test_bad_options_are_usage_errors_before_anything_starts(tmp_path: Path) -> None:
    for command in (["-m", "zoryx_core.cli", "cluster"], ["-m", "zoryx_cluster"]):
        zero = run(*command, "run", "--shards", "0", "--clusters", "1", cwd=tmp_path)
        assert zero.returncode == 2
        assert "'--shards': 0 is not in the range x>=1" in zero.stderr.splitlines()[-1]
        missing = run(*command, "run", "--shards", "4", cwd=tmp_path)
        assert missing.returncode == 2 and "Missing option '--clusters'" in missing.stderr


def test_a_layout_error_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = run("-m", "zoryx_core.cli", "cluster", "run", "--shards", "2", "--clusters", "3", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
