"""Marketplace installs killed at random moments: does the next start always recover?

A local pypiserver (loopback) serves the test wheels of ``tests/marketplace_helpers/sources``;
the catalog, served over HTTP, lists ``zoryx-mkt-greeter`` 0.2.0. Each round makes a throwaway
environment holding ``zoryx-mkt-greeter`` 0.1.0 (and its library), records ``pip freeze`` and the
sha256 of every file in it, starts ``zoryx install zoryx-mkt-greeter==0.2.0`` as its own process
and SIGKILLs it after a random delay between 0 and the time an uninterrupted upgrade took. Then
``Installer.recover()`` runs, as the next start would, and the round is checked:

- ``undone``: the environment must be identical to before (freeze and every file);
- ``finished``: 0.2.0 must be installed and import;
- ``nothing``: the kill came before the journal (or after the end): nothing to recover, and the
  environment must be either state;
- in every case no journal, working folder or temporary file may be left.

    python bench/marketplace_kill_recovery.py             # 10 kills
    python bench/marketplace_kill_recovery.py --kills 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from marketplace_helpers.crafted import catalog_of  # noqa: E402
from marketplace_helpers.support import (  # noqa: E402
    HELPERS,
    SOURCES,
    TargetEnv,
    Wheels,
    env_state,
    make_target_env,
    options_for,
    pip_env,
)

from marketplace_client import Installer, MarketplaceClient, RecoveryOutcome  # noqa: E402
from zoryx_core.testing.package_index import StaticServer, package_index  # noqa: E402

GREETER = "zoryx-mkt-greeter"


def start_upgrade(
    target: TargetEnv, data: Path, catalog: str, index: str, temp: Path
) -> subprocess.Popen[bytes]:
    env = pip_env()
    env.update({"ZORYX_MARKETPLACE__ALLOW_INSECURE_HTTP": "true", "NO_COLOR": "1", "TMPDIR": str(temp)})
    command = [str(target.python), "-m", "zoryx_core.cli", "install", f"{GREETER}==0.2.0", "--accept-terms"]
    command += ["--catalog-url", catalog, "--index-url", index, "--data-dir", str(data)]
    return subprocess.Popen(
        command, env=env, cwd=data.parent, stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def version(target: TargetEnv) -> str:
    result = target.run("-c", "import zoryx_mkt_greeter; print(zoryx_mkt_greeter.VERSION)", check=False)
    return result.stdout.strip() or "none"


async def one_round(
    work: Path, wheels: Wheels, catalog: str, index: str, delay: float | None
) -> dict[str, object]:
    target = make_target_env(work / "env")
    target.pip_install("--no-index", "--find-links", str(wheels.folder), f"{GREETER}==0.1.0")
    before = env_state(target)
    data, temp = work / "data", work / "temp"
    temp.mkdir()
    started = time.monotonic()
    process = start_upgrade(target, data, catalog, index, temp)
    if delay is None:
        process.wait(300)
        return {"seconds": time.monotonic() - started, "exit": process.returncode}
    await asyncio.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.wait(60)
    journal = data / "marketplace" / "install-journal.json"
    phase = json.loads(journal.read_text())["phase"] if journal.exists() else "none"
    async with MarketplaceClient(options_for(data, catalog, index)) as client:
        recovered = await Installer(client, python=target.python).recover()
    outcome = recovered.outcome.value if recovered is not None else "nothing"
    after = env_state(target)
    differences = before.differences(after)
    installed = version(target)
    if recovered is not None and recovered.outcome is RecoveryOutcome.UNDONE:
        ok = not differences
    elif recovered is not None and recovered.outcome is RecoveryOutcome.FINISHED:
        ok = installed == "0.2.0"
    else:
        ok = not differences or installed == "0.2.0"
    left = [p for p in (data / "marketplace").glob("work/*")] + list(temp.iterdir())
    left += [journal] if journal.exists() else []
    return {
        "delay": round(delay, 3),
        "phase_at_kill": phase,
        "outcome": outcome,
        "version_after": installed,
        "differences": len(differences),
        "leftovers": len(left),
        "ok": ok and not left,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args()
    random.seed(args.seed)
    with tempfile.TemporaryDirectory(prefix="zoryx-kill-bench-") as scratch:
        root = Path(scratch)
        built = root / "wheels"
        command = [
            sys.executable,
            str(HELPERS / "build_wheels.py"),
            str(SOURCES),
            str(root / "build"),
            str(built),
        ]
        await asyncio.to_thread(subprocess.run, command, check=True, capture_output=True, timeout=300)
        wheels = Wheels(built)
        with package_index(built) as index, StaticServer(built) as server:
            catalog = server.publish(catalog_of(server, wheels, (GREETER, "0.2.0")))
            clean = await one_round(root / "clean", wheels, catalog, index.simple_url, None)
            span = float(str(clean["seconds"]))
            print(
                f"uninterrupted upgrade: {span:.2f} s (exit {clean['exit']}); "
                f"kills spread over 0..{span:.2f} s"
            )
            results = []
            for n in range(args.kills):
                result = await one_round(
                    root / f"kill-{n}", wheels, catalog, index.simple_url, random.uniform(0, span)
                )
                results.append(result)
                print(json.dumps(result))
    good = sum(1 for result in results if result["ok"])
    outcomes = {
        o: sum(1 for r in results if r["outcome"] == o)
        for o in ("undone", "finished", "cleaned", "nothing", "failed")
    }
    print(f"{good} of {len(results)} kills recovered correctly; outcomes {outcomes}")
    sys.exit(0 if good == len(results) else 1)


if __name__ == "__main__":
    asyncio.run(main())
