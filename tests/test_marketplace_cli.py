"""The marketplace commands of ``zoryx`` run as real subprocesses against the test marketplace:
build-catalog, search, info, install and uninstall (the last two in a throwaway
environment standing for the bot's, with the CLI running on that environment's interpreter)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from marketplace_helpers.servers import CatalogServer
from marketplace_helpers.support import TargetEnv, Wheels, pip_env

from marketplace_client import INSTANCE_ID_HEADER

pytest_plugins = ["marketplace_helpers.fixtures"]


def zoryx(
    *args: str, cwd: Path, python: Path | str = sys.executable, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = pip_env()
    environ.update({"COLUMNS": "200", "NO_COLOR": "1", "ZORYX_MARKETPLACE__ALLOW_INSECURE_HTTP": "true"})
    environ.update(env or {})
    return subprocess.run(
        [str(python), "-m", "zoryx_core.cli", *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )


def test_build_catalog_search_and_info(mkt_wheels: Wheels, mkt_server: CatalogServer, tmp_path: Path) -> None:
    output = tmp_path / "site" / "catalog.json"
    base = f"{mkt_server.base_url}/wheels"
    built = zoryx(
        "marketplace",
        "build-catalog",
        str(mkt_wheels.folder),
        "-o",
        str(output),
        "--base-url",
        base,
        cwd=tmp_path,
    )
    assert built.returncode == 0, built.stderr
    assert f"wrote {output}: 3 plugins, 4 versions" in built.stdout
    assert "skipped mkt_tinylib-1.0.0-py3-none-any.whl: it declares no entry point" in built.stderr
    document = json.loads(output.read_text(encoding="utf-8"))
    assert document["plugins"][2]["versions"][0]["url"] == f"{base}/zoryx_mkt_greeter-0.2.0-py3-none-any.whl"
    url = mkt_server.publish(document)
    data = str(tmp_path / "data")

    found = zoryx("search", "GREETING", "--json", "--catalog-url", url, "--data-dir", data, cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    result = json.loads(found.stdout)
    assert result["total"] == 1 and result["plugins"][0]["name"] == "zoryx-mkt-greeter"
    assert [v["version"] for v in result["plugins"][0]["versions"]] == ["0.2.0", "0.1.0"]

    broken = zoryx(
        "search", "--status", "broken", "--no-instance-id", "--data-dir", data, "--refresh", cwd=tmp_path,
        env={"ZORYX_MARKETPLACE__CATALOG_URL": url},
    )  # fmt: skip
    assert broken.returncode == 0, broken.stderr
    assert "zoryx-mkt-faulty" in broken.stdout and "zoryx-mkt-greeter" not in broken.stdout
    headers = mkt_server.requests_to(url)
    assert INSTANCE_ID_HEADER in headers[0] and INSTANCE_ID_HEADER not in headers[-1]

    info = zoryx(
        "marketplace", "info", "Zoryx_Mkt_Future", "--catalog-url", url, "--data-dir", data, cwd=tmp_path
    )
    assert info.returncode == 0, info.stderr
    assert "zoryx-mkt-future (beta): Needs a future zoryx-core." in info.stdout
    assert ">=1,<2" in info.stdout and "installed: no" in info.stdout

    bad_status = zoryx("search", "--status", "great", "--catalog-url", url, "--data-dir", data, cwd=tmp_path)
    assert (
        bad_status.returncode == 1
        and "unknown status 'great'; use one of working, beta, broken" in bad_status.stderr
    )
    missing = zoryx(
        "marketplace", "info", "zoryx-mkt-greet", "--catalog-url", url, "--data-dir", data, cwd=tmp_path
    )
    assert missing.returncode == 1
    assert (
        "no plugin named 'zoryx-mkt-greet' in the catalog; did you mean zoryx-mkt-greeter," in missing.stderr
    )
    unconfigured = zoryx("search", "--data-dir", data, cwd=tmp_path)
    assert unconfigured.returncode == 1 and "no marketplace catalog is configured" in unconfigured.stderr

    secret = url.replace("http://", "http://operator:hunter2@").replace("catalog.json", "gone.json")
    failed = zoryx(
        "search", "--catalog-url", secret + "?access_token=s3cr3t", "--data-dir", data, cwd=tmp_path
    )
    assert failed.returncode == 1 and "answered HTTP 404" in failed.stderr
    assert "http://***@127.0.0.1" in failed.stderr and "gone.json?***" in failed.stderr
    assert "hunter2" not in failed.stderr + failed.stdout and "s3cr3t" not in failed.stderr + failed.stdout
    plain = zoryx(
        "search", "--catalog-url", url, "--data-dir", data, cwd=tmp_path,
        env={"ZORYX_MARKETPLACE__ALLOW_INSECURE_HTTP": "false"},
    )  # fmt: skip
    assert plain.returncode == 1 and "marketplace.allow_insecure_http" in plain.stderr


def test_install_and_uninstall_in_the_bots_environment(
    mkt_server: CatalogServer,
    mkt_catalog: dict[str, Any],
    mkt_index: str,
    target_env: TargetEnv,
    tmp_path: Path,
) -> None:
    url = mkt_server.publish(mkt_catalog)
    data = tmp_path / "data"
    common = ["--catalog-url", url, "--index-url", mkt_index, "--data-dir", str(data)]
    before = target_env.freeze()

    refused = zoryx("install", "zoryx-mkt-greeter==0.1.0", *common, cwd=tmp_path, python=target_env.python)
    assert refused.returncode == 2
    assert "the terms of Zoryx test marketplace (version 2024-1) have not been accepted" in refused.stderr

    installed = zoryx(
        "install",
        "zoryx-mkt-greeter==0.1.0",
        "--accept-terms",
        *common,
        cwd=tmp_path,
        python=target_env.python,
    )
    assert installed.returncode == 0, installed.stderr
    assert (
        "installed zoryx-mkt-greeter 0.1.0" in installed.stdout and "+ mkt-tinylib 1.0.0" in installed.stdout
    )
    assert "download:" in installed.stderr and "import:" in installed.stderr  # the steps, one line each
    versions = target_env.installed()
    assert versions["zoryx-mkt-greeter"] == "0.1.0" and versions["mkt-tinylib"] == "1.0.0"

    future = zoryx("install", "zoryx-mkt-future", *common, cwd=tmp_path, python=target_env.python)
    assert future.returncode == 1
    assert "zoryx-mkt-future: failed at step 'compatibility'" in future.stderr
    assert "the environment was left as it was" in future.stderr

    (data / "plugins" / "zoryx-mkt-greeter").mkdir(parents=True)
    removed = zoryx(
        "uninstall", "zoryx-mkt-greeter", "--delete-data", *common, cwd=tmp_path, python=target_env.python
    )
    assert removed.returncode == 0, removed.stderr
    assert "uninstalled zoryx-mkt-greeter 0.1.0" in removed.stdout
    assert not (data / "plugins" / "zoryx-mkt-greeter").exists()
    after = target_env.freeze()
    assert [line for line in after if line not in before] == ["mkt-tinylib==1.0.0"]  # dependencies stay
