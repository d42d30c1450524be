"""The marketplace catalog: building it from wheels, its schema, search, and fetching it over
real HTTP (cache, refresh, retries with Retry-After, broken documents, the instance id header)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from marketplace_helpers.servers import CatalogServer, Fault
from marketplace_helpers.support import Wheels, options_for, sha256_of

from marketplace_client import (
    INSTANCE_ID_HEADER,
    CatalogError,
    ListingStatus,
    MarketplaceClient,
    MarketplaceError,
    MarketplaceOptions,
    RetryEvent,
    build_catalog,
    catalog_schema,
    marketplace_settings,
    parse_catalog,
    parse_install_request,
    search,
)
from marketplace_client.catalog import _PATTERN_MEANINGS

pytest_plugins = ["marketplace_helpers.fixtures"]

INDEX = "https://pypi.org/simple"


def schema_errors(document: Any) -> list[str]:
    validator = jsonschema.Draft202012Validator(catalog_schema())
    return [error.message for error in validator.iter_errors(document)]


def test_build_catalog_reads_the_wheels_metadata_and_the_sidecar(mkt_wheels: Wheels) -> None:
    report = build_catalog(mkt_wheels.folder)
    document = report.document
    assert schema_errors(document) == []
    assert document["name"] == "Zoryx test marketplace"
    assert document["terms"] == {"version": "2024-1", "text": "Test terms: plugins come without warranty."}
    plugins = {plugin["name"]: plugin for plugin in document["plugins"]}
    assert sorted(plugins) == ["zoryx-mkt-faulty", "zoryx-mkt-future", "zoryx-mkt-greeter"]
    skipped = dict(report.skipped)
    assert "no entry point in the 'zoryx.plugins' group" in skipped["mkt_tinylib-1.0.0-py3-none-any.whl"]
    assert "zoryx_mkt_noentry-0.1.0-py3-none-any.whl" in skipped
    greeter = plugins["zoryx-mkt-greeter"]
    assert greeter["status"] == "working" and greeter["tags"] == ["Greeting", "fun"]
    assert greeter["summary"] == "Greets people with a word from mkt-tinylib."
    assert greeter["author"] == "Zoryx test authors" and greeter["license"] == "MIT"
    assert [v["version"] for v in greeter["versions"]] == ["0.2.0", "0.1.0"]
    newest = greeter["versions"][0]
    wheel = mkt_wheels.path("zoryx-mkt-greeter", "0.2.0")
    assert newest["url"] == wheel.name  # relative to the catalog without --base-url
    assert newest["sha256"] == sha256_of(wheel) and newest["size"] == wheel.stat().st_size
    assert newest["requires_core"] == ">=0.1,<0.2"
    assert "mkt-tinylib>=1.0" in newest["dependencies"]
    assert plugins["zoryx-mkt-faulty"]["status"] == "broken"
    assert plugins["zoryx-mkt-future"]["status"] == "beta"  # the sidecar's default_status
    assert plugins["zoryx-mkt-future"]["versions"][0]["requires_core"] == ">=1,<2"
    with_base = build_catalog(mkt_wheels.folder, base_url="https://example.invalid/files/").document
    assert with_base["plugins"][0]["versions"][0]["url"].startswith(
        "https://example.invalid/files/zoryx_mkt_"
    )


def test_build_catalog_rejects_a_bad_sidecar(mkt_wheels: Wheels, tmp_path: Path) -> None:
    sidecar = tmp_path / "marketplace.toml"
    sidecar.write_text('[plugins.zoryx-mkt-greeter]\nstatus = "great"\n', encoding="utf-8")
    with pytest.raises(
        Exception, match=r"plugins.zoryx-mkt-greeter.status is 'great'; use one of working, beta"
    ):
        build_catalog(mkt_wheels.folder, sidecar=sidecar)
    sidecar.write_text('[plugins.zoryx-nothing]\nstatus = "beta"\n', encoding="utf-8")
    with pytest.raises(Exception, match="describes zoryx-nothing, but no plugin wheel"):
        build_catalog(mkt_wheels.folder, sidecar=sidecar)
    sidecar.write_text('colour = "red"\n', encoding="utf-8")
    with pytest.raises(Exception, match="unknown key colour"):
        build_catalog(mkt_wheels.folder, sidecar=sidecar)


def _mutations() -> list[tuple[str, Any, str, bool]]:
    """(what, change(doc), expected path in the parser's error, whether JSON Schema sees it too)."""

    def version(doc: dict[str, Any]) -> dict[str, Any]:
        entry: dict[str, Any] = doc["plugins"][0]["versions"][0]
        return entry

    return [
        ("newer schema", lambda d: d.update(schema_version=2), "schema_version: 2 is not supported", True),
        ("no terms", lambda d: d.pop("terms"), "the required key 'terms' is missing", True),
        ("bad hash", lambda d: version(d).update(sha256="ABC"), "versions[0].sha256: must be 64", True),
        ("bad status", lambda d: d["plugins"][0].update(status="great"), "plugins[0].status", True),
        ("unknown key", lambda d: d["plugins"][0].update(colour="red"), "plugins[0].colour: unknown", True),
        ("url and index", lambda d: version(d).update(index=INDEX), "exactly one of 'url'", True),
        ("no versions", lambda d: d["plugins"][0].update(versions=[]), "at least one version", True),
        ("tags not strings", lambda d: d["plugins"][0].update(tags=[1]), "tags[0]: must be a string", True),
        ("file of another plugin", lambda d: version(d).update(filename="other-0.2.0-py3-none-any.whl"),
         "versions[0].filename", False),
        ("bad specifier", lambda d: version(d).update(requires_core="zoryx>=1"), "requires_core", False),
        ("bad version", lambda d: version(d).update(version="one"), "not a PEP 440 version", False),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("what", "change", "expected", "schema_sees_it"),
    [pytest.param(*case, id=case[0]) for case in _mutations()],
)
def test_schema_and_parser_agree(
    mkt_wheels: Wheels, what: str, change: Any, expected: str, schema_sees_it: bool
) -> None:
    document = copy.deepcopy(build_catalog(mkt_wheels.folder).document)
    document["x-note"] = "extension keys are allowed"
    assert schema_errors(document) == [] and parse_catalog(document).name == "Zoryx test marketplace"
    change(document)
    with pytest.raises(CatalogError, match=re.escape(expected)):
        parse_catalog(document)
    assert bool(schema_errors(document)) == schema_sees_it, what


def _small_catalog() -> dict[str, Any]:
    filename = "zoryx_dice-1.0-py3-none-any.whl"
    version = {"version": "1.0", "filename": filename, "url": filename, "sha256": "0" * 64}
    plugin = {"name": "zoryx-dice", "summary": "s", "author": "a", "status": "beta", "versions": [version]}
    return {"schema_version": 1, "name": "m", "terms": {"version": "1", "text": ""}, "plugins": [plugin]}


def _set(*path: str | int, value: Any) -> Any:
    def change(document: Any) -> Any:
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return document

    return change


def _drop(*path: str | int) -> Any:
    def change(document: Any) -> Any:
        target = document
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]
        return document

    return change


PLUGIN_0 = ("plugins", 0)
VERSION_0 = (*PLUGIN_0, "versions", 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: [d], "must be an object, got an array"),
        (_drop("name"), "(document): the required key 'name' is missing"),
        (_set("schema_version", value="1"), "schema_version: must be 1, got '1'"),
        (
            _set("terms", "colour", value="red"),
            "terms.colour: unknown key (allowed: text, version, or any key starting with 'x-')",
        ),
        (_set("name", value=""), "name: must not be empty"),
        (_set("name", value="n" * 101), "name: is 101 characters long; at most 100 are allowed"),
        (_set("plugins", value={}), "plugins: must be an array, got an object"),
        (
            _set(*PLUGIN_0, "name", value="-dice"),
            "plugins[0].name: must be a distribution name: letters, digits, '.', '_' and '-', "
            "starting and ending with a letter or digit, got '-dice'",
        ),
        (
            _set(*PLUGIN_0, "status", value="Beta"),
            "plugins[0].status: 'Beta' is not one of working, beta, broken",
        ),
        (
            _set(*PLUGIN_0, "tags", value=["t"] * 21),
            "plugins[0].tags: has 21 tags; at most 20 are allowed",
        ),
        (_set(*PLUGIN_0, "tags", value=["ok", ""]), "plugins[0].tags[1]: must not be empty"),
        (_set(*PLUGIN_0, "versions", value=[]), "plugins[0].versions: must list at least one version"),
        (_drop(*VERSION_0, "url"), "plugins[0].versions[0]: must give exactly one of 'url' or 'index'"),
        (_set(*VERSION_0, "size", value=-1), "plugins[0].versions[0].size: must be at least 0, got -1"),
        (
            _set(*VERSION_0, "size", value="3"),
            "plugins[0].versions[0].size: must be an integer, got a string",
        ),
        (
            _set(*VERSION_0, "filename", value="dir/zoryx_dice-1.0-py3-none-any.whl"),
            "plugins[0].versions[0].filename: must be a wheel file name ending in .whl, without '/' or '\\', "
            "got 'dir/zoryx_dice-1.0-py3-none-any.whl'",
        ),
        (
            _set(*VERSION_0, "dependencies", value=["ok", 2]),
            "plugins[0].versions[0].dependencies[1]: must be a string, got a number",
        ),
        (
            lambda d: _set(*PLUGIN_0, "status", value="great")(_drop("terms")(d)),
            "(document): the required key 'terms' is missing (1 more problem in the document)",
        ),
        (
            lambda d: d["plugins"].append(dict(d["plugins"][0], name="Zoryx_Dice")) or d,
            "plugins[1].name: 'zoryx-dice' is listed twice (also at plugins[0])",
        ),
        (
            _set(*VERSION_0, "version", value="one"),
            "plugins[0].versions[0].version: 'one' is not a PEP 440 version",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_catalog_errors_name_the_place_and_what_is_allowed(change: Any, message: str) -> None:
    document = change(_small_catalog())
    with pytest.raises(CatalogError) as caught:
        parse_catalog(document, "https://m.example/catalog.json")
    assert str(caught.value) == f"the catalog from https://m.example/catalog.json is invalid: {message}"


def test_the_schema_is_the_one_definition_of_a_valid_document() -> None:
    jsonschema.Draft202012Validator.check_schema(catalog_schema())
    patterns: list[str] = []

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("pattern"), str):
                patterns.append(node["pattern"])
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(catalog_schema())
    assert patterns and set(patterns) == set(_PATTERN_MEANINGS)  # every pattern is put into words
    # What the schema allows, the parser takes: a whole-number float size, extension keys anywhere.
    document = _small_catalog()
    document["plugins"][0]["versions"][0].update({"size": 3.0, "x-mirror": "elsewhere"})
    document["plugins"][0]["x-rating"] = 5
    assert schema_errors(document) == []
    size = parse_catalog(document).plugins[0].versions[0].size
    assert size == 3 and isinstance(size, int)


def _plugin(name: str, summary: str, status: str, tags: list[str]) -> dict[str, Any]:
    filename = f"{name.replace('-', '_')}-1.0-py3-none-any.whl"
    return {
        "name": name,
        "summary": summary,
        "author": "a",
        "status": status,
        "tags": tags,
        "versions": [{"version": "1.0", "filename": filename, "url": filename, "sha256": "0" * 64}],
    }


def test_search_matches_name_summary_and_tags_ignoring_case() -> None:
    plugins = [_plugin(f"zoryx-filler-{n:02d}", "Nothing to see", "beta", []) for n in range(10)]
    plugins += [
        _plugin("zoryx-dice", "Roll dice", "working", ["Games"]),
        _plugin("zoryx-poll", "Polls with DICE emoji", "broken", ["voting"]),
        _plugin("zoryx-trivia", "Quiz nights", "working", ["games", "quiz"]),
    ]
    catalog = parse_catalog(
        {"schema_version": 1, "name": "m", "terms": {"version": "1", "text": ""}, "plugins": plugins}
    )
    dice = search(catalog, "DiCe")
    assert [p.name for p in dice.items] == ["zoryx-dice", "zoryx-poll"]  # name match ranks above summary
    assert [p.name for p in search(catalog, "games").items] == ["zoryx-dice", "zoryx-trivia"]
    assert [p.name for p in search(catalog, "games quiz").items] == ["zoryx-trivia"]  # every term must match
    assert [p.name for p in search(catalog, "dice", status="Broken").items] == ["zoryx-poll"]
    assert search(catalog, "", status=ListingStatus.WORKING).total == 2
    everything = search(catalog, per_page=5)
    assert (everything.total, everything.pages, len(everything.items)) == (13, 3, 5)
    last = search(catalog, page=3, per_page=5)
    assert [p.name for p in last.items] == ["zoryx-filler-09", "zoryx-poll", "zoryx-trivia"]
    assert search(catalog, "nothing at all").items == () and search(catalog, "nothing at all").pages == 1
    with pytest.raises(ValueError, match="page 4 is out of range; there are 3 pages"):
        search(catalog, page=4, per_page=5)
    with pytest.raises(ValueError, match="unknown status 'great'; use one of working, beta, broken"):
        search(catalog, status="great")


def test_install_request_syntax() -> None:
    assert parse_install_request("Zoryx_Dice") == ("zoryx-dice", None)
    assert parse_install_request("zoryx-dice==0.2") == ("zoryx-dice", "0.2")
    for bad, problem in [("zoryx-dice>=1", "only an exact version"), ("zoryx dice", "not a plugin name")]:
        with pytest.raises(ValueError, match=problem):
            parse_install_request(bad)


def test_options_come_from_settings_and_are_checked(tmp_path: Path) -> None:
    from zoryx_core.settings import CORE_SETTINGS, Settings

    specs = {spec.key: spec for spec in marketplace_settings()}
    defaults = MarketplaceOptions()
    for key, spec in specs.items():
        assert getattr(defaults, key.removeprefix("marketplace.")) == spec.default
    core_keys = {spec.key for spec in CORE_SETTINGS}
    extra = [spec for spec in marketplace_settings() if spec.key not in core_keys]
    settings = Settings.load(
        None,
        {
            "ZORYX_MARKETPLACE__CATALOG_URL": "https://m.example/catalog.json",
            "ZORYX_MARKETPLACE__TIMEOUT": "5",
        },
        specs=[*CORE_SETTINGS, *extra],
    )
    options = MarketplaceOptions.from_settings(settings, base_dir=tmp_path, send_instance_id=False)
    assert options.catalog_url == "https://m.example/catalog.json" and options.timeout == 5.0
    assert options.data_dir == tmp_path / "data" and options.send_instance_id is False
    assert options.marketplace_dir == tmp_path / "data" / "marketplace"
    with pytest.raises(ValueError, match=r"marketplace option max_retries=-1: must be from 0 to 10"):
        MarketplaceOptions(max_retries=-1)
    with pytest.raises(ValueError, match="index_url='ftp://x': use an http"):
        MarketplaceOptions(index_url="ftp://x")


async def test_catalog_is_cached_and_refreshed_on_request(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    url = mkt_server.publish(mkt_catalog)
    options = options_for(tmp_path / "data", url, INDEX)
    async with MarketplaceClient(options) as client:
        first = await client.catalog()
        assert await client.catalog() is first
        assert len(mkt_server.requests_to(url)) == 1
        assert "zoryx-mkt-greeter" in first and first.terms.version == "2024-1"
        greeter = (await client.search("greeting")).items[0]
        assert greeter.name == "zoryx-mkt-greeter" and greeter.latest.version == "0.2.0"
        assert (await client.info("Zoryx_Mkt_Greeter")).status is ListingStatus.WORKING
        refreshed = await client.catalog(refresh=True)
        assert refreshed is not first and len(mkt_server.requests_to(url)) == 2
    async with MarketplaceClient(options) as again:  # another process: the copy on disk is fresh
        assert (await again.catalog()).generated == first.generated
        assert len(mkt_server.requests_to(url)) == 2
    async with MarketplaceClient(options.with_changes(cache_seconds=0)) as uncached:
        await uncached.catalog()
        assert len(mkt_server.requests_to(url)) == 3


async def test_429_with_retry_after_is_retried_then_served(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    url = mkt_server.publish(mkt_catalog)
    mkt_server.fail(url, Fault(429, {"Retry-After": "1"}))
    retries: list[RetryEvent] = []
    async with MarketplaceClient(
        options_for(tmp_path / "data", url, INDEX), on_retry=retries.append
    ) as client:
        catalog = await client.catalog()
    assert catalog.name == "Zoryx test marketplace"
    assert len(mkt_server.requests_to(url)) == 2
    assert [(event.status, event.delay, event.attempt) for event in retries] == [(429, 1.0, 1)]


async def test_retries_are_bounded(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    url = mkt_server.publish(mkt_catalog)
    mkt_server.fail(url, Fault(429, {"Retry-After": "3600"}))
    options = options_for(tmp_path / "data", url, INDEX, max_retries=2, max_retry_wait=0.2)
    async with MarketplaceClient(options) as client:
        with pytest.raises(CatalogError, match=r"retry after 3600 s, longer than the allowed wait of 0.2 s"):
            await client.catalog()
        assert len(mkt_server.requests_to(url)) == 1
        mkt_server.fail(url, Fault(503, times=10))
        with pytest.raises(CatalogError, match="failed after 3 attempts: HTTP 503"):
            await client.catalog()
        assert len(mkt_server.requests_to(url)) == 4
        missing = url.replace("catalog.json", "nothing.json")
        with pytest.raises(CatalogError, match="answered HTTP 404"):
            await MarketplaceClient(options.with_changes(catalog_url=missing)).catalog()


async def test_a_broken_catalog_is_reported_and_the_cached_copy_kept(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    url = mkt_server.publish(mkt_catalog)
    async with MarketplaceClient(options_for(tmp_path / "data", url, INDEX)) as client:
        good = await client.catalog()
        mkt_server.replace(url, b'{"schema_version": 1, "name": ')
        with pytest.raises(
            CatalogError, match=r"is not valid JSON: Expecting value at line 1 column 31"
        ) as bad:
            await client.catalog(refresh=True)
        assert bad.value.cached is good and client.cached_catalog is good
        newer = dict(mkt_catalog, schema_version=2)
        mkt_server.replace(url, json.dumps(newer).encode())
        with pytest.raises(
            CatalogError, match="schema_version: 2 is not supported; this client reads schema version 1"
        ):
            await client.catalog(refresh=True)
        assert await client.catalog() is good  # still fresh: served from the cache
    async with MarketplaceClient(options_for(tmp_path / "data", url, INDEX, cache_seconds=0)) as other:
        with pytest.raises(CatalogError) as no_fetch:
            await other.catalog()
        assert no_fetch.value.cached is not None and no_fetch.value.cached.generated == good.generated


async def test_the_instance_id_header_is_sent_unless_disabled(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    url = mkt_server.publish(mkt_catalog)
    data = tmp_path / "data"
    async with MarketplaceClient(options_for(data, url, INDEX, cache_seconds=0)) as client:
        await client.catalog()
        instance_id = await client.instance_id()
    assert re.fullmatch(r"[0-9a-f]{16}", instance_id)
    assert (data / "marketplace" / "instance_id").read_text().strip() == instance_id
    assert (data / "marketplace" / "instance_id").stat().st_mode & 0o777 == 0o600
    async with MarketplaceClient(options_for(data, url, INDEX, cache_seconds=0)) as again:
        await again.catalog()
    sent = [headers.get(INSTANCE_ID_HEADER) for headers in mkt_server.requests_to(url)]
    assert sent == [instance_id, instance_id]
    quiet_data = tmp_path / "quiet"
    async with MarketplaceClient(options_for(quiet_data, url, INDEX, send_instance_id=False)) as quiet:
        await quiet.catalog()
    assert INSTANCE_ID_HEADER not in mkt_server.requests_to(url)[-1]
    assert not (quiet_data / "marketplace" / "instance_id").exists()


async def test_a_remote_catalog_cannot_point_at_local_files(
    mkt_server: CatalogServer, mkt_catalog: dict[str, Any], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.whl"
    secret.write_bytes(b"not for the marketplace")
    entry = mkt_catalog["plugins"][2]["versions"][0]
    entry["url"] = secret.as_uri()
    url = mkt_server.publish(mkt_catalog)
    async with MarketplaceClient(options_for(tmp_path / "data", url, INDEX)) as client:
        plugin = await client.info("zoryx-mkt-greeter")
        with pytest.raises(
            MarketplaceError, match=r"points at a local file \(file://.*secret.whl\); refused"
        ):
            await client.download_wheel(plugin.name, plugin.latest, tmp_path / "wheel.whl")
