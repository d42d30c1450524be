"""Smoke checks of the benchmark scripts' own logic (no benchmark is run: speed lives in bench/)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(autouse=True)
def bench_on_path() -> Iterator[None]:
    sys.path.insert(0, str(BENCH))
    yield
    sys.path.remove(str(BENCH))


def test_bench_env_knows_every_framework_plugin_and_the_defaults() -> None:
    import bench_env

    plugins = bench_env.framework_plugins()
    folders = {p.name for p in (BENCH.parent / "plugins").glob("zoryx-*") if (p / "pyproject.toml").exists()}
    assert set(plugins) == folders and folders
    command = bench_env.install_command("python")
    assert all(str(folder) in command for folder in plugins.values())
    described = bench_env.describe_settings(bench_env.default_settings())
    assert "3 uses per 5.0 s per user" in described and "members on" in described
    # Rotating this many users, nobody sends more than two pings: the default cooldown allows three.
    for pings in (1, 2, 3, 3500, 3501):
        users = bench_env.senders_needed(pings)
        assert -(-pings // users) <= 2


def test_missing_plugins_are_named_with_the_install_command() -> None:
    import bench_env

    missing = bench_env.missing_framework_plugins()
    if not missing:
        pytest.skip("every framework plugin is installed in this environment")
    result = subprocess.run(
        [sys.executable, str(BENCH / "zoryx_ping.py"), "--no-bench-venv", "--repeat", "1"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert all(name in lines[0] for name in missing) and "pip install" in lines[0]


def test_throughput_verdict_uses_only_rounds_where_both_bots_were_cpu_bound() -> None:
    import zoryx_ping

    def run(bot: str, index: int, rate: float, cpu_ms: float, busy: float) -> zoryx_ping.Run:
        return zoryx_ping.Run(
            bot=bot,
            round=index,
            messages=1000,
            errors=0,
            wall_s=1000 / rate,
            round_trips_per_s=rate,
            latency_ms={"p50": 1.0, "p99": 2.0},
            bot_cpu_ms_per_msg=cpu_ms,
            bot_cpu_utilisation=busy,
        )

    runs = {
        "bare": [
            run("bare", 0, 1000, 0.30, 0.97),
            run("bare", 1, 1000, 0.30, 0.50),
            run("bare", 2, 1000, 0.30, 0.95),
        ],
        "zoryx": [
            run("zoryx", 0, 950, 0.33, 0.99),
            run("zoryx", 1, 500, 0.36, 0.98),
            run("zoryx", 2, 910, 0.31, 0.96),
        ],
    }
    bare, zoryx = zoryx_ping.summarise("bare", runs["bare"]), zoryx_ping.summarise("zoryx", runs["zoryx"])
    verdict = zoryx_ping.judge(runs, bare, zoryx)
    assert verdict.clean_rounds == [1, 3]  # round 2's bare bot was not CPU-bound
    assert verdict.paired_ratio == pytest.approx(0.93)
    assert verdict.met is True
    assert verdict.cpu_ratio == {
        "min": pytest.approx(1.033),
        "median": pytest.approx(1.1),
        "max": pytest.approx(1.2),
    }

    for r in runs["bare"]:
        r.bot_cpu_utilisation = 0.4
    assert zoryx_ping.judge(runs, bare, zoryx).met is None  # no round to judge on


def test_benchmark_scripts_accept_their_defaults() -> None:
    import message_cost
    import scale
    import startup
    import zoryx_ping

    for module in (zoryx_ping, message_cost, startup, scale):
        args = module.parse_args([])
        assert args.no_bench_venv is False
    assert zoryx_ping.parse_args([]).members_intent is True
    assert message_cost.parse_args([]).members_intent is True
    assert scale.parse_args([]).guilds == 1000 and scale.parse_args([]).members == 50_000
