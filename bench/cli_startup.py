"""Wall and CPU time of short ``zoryx`` calls: ``--version``, ``version``, ``--help`` (which imports
every installed plugin to list the commands they register) and ``run --help``.

Each call is a fresh process of the ``zoryx`` console script next to this interpreter, run in an
empty temporary folder (no ``./extensions``); the cases are interleaved round by round so a busy
machine weighs on all of them alike. CPU time (user + system of the child) is reported next to
the wall time because it moves much less with the load of other processes.

    .venv/bin/python bench/cli_startup.py --rounds 15
    .venv/bin/python bench/cli_startup.py --rounds 15 --path /tmp/plugins   # plugins from a folder

``--path DIR`` puts DIR first on PYTHONPATH, e.g. a folder the framework plugins were installed
into with ``pip install --no-deps --target DIR plugins/*/``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CASES = (("--version",), ("version",), ("--help",), ("run", "--help"))


def one_call(zoryx: Path, args: tuple[str, ...], cwd: str, env: dict[str, str]) -> tuple[float, float, int]:
    """Wall and CPU seconds and the exit code of one ``zoryx ARGS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    code = subprocess.run([str(zoryx), *args], cwd=cwd, env=env, capture_output=True).returncode
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="calls of each case (default 15)")
    parser.add_argument("--path", type=Path, help="folder to put first on PYTHONPATH (installed plugins)")
    args = parser.parse_args(argv)
    zoryx = Path(sys.executable).parent / "zoryx"
    if not zoryx.is_file():
        parser.error(f"no zoryx console script next to {sys.executable}; install zoryx-core there first")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZORYX_", "_ZORYX"))}
    if args.path is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(args.path), env.get("PYTHONPATH")]))
    results: dict[tuple[str, ...], list[tuple[float, float, int]]] = {case: [] for case in CASES}
    with tempfile.TemporaryDirectory() as folder:
        for case in CASES:  # warm the file cache once
            one_call(zoryx, case, folder, env)
        for _ in range(args.rounds):
            for case in CASES:
                results[case].append(one_call(zoryx, case, folder, env))
    print(
        f"zoryx calls, {args.rounds} rounds; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(f"{'command':<18} {'wall median':>12} {'CPU mean':>10}  exit codes")
    for case, samples in results.items():
        wall = statistics.median(sample[0] for sample in samples)
        cpu = statistics.fmean(sample[1] for sample in samples)
        codes = ",".join(str(code) for code in sorted({sample[2] for sample in samples}))
        print(f"{'zoryx ' + ' '.join(case):<18} {wall:>10.3f} s {cpu:>8.3f} s  {codes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
