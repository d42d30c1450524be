"""Layered settings (defaults <- config.json <- environment), plugin settings and deployment values."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from zoryx_core.settings import (
    CORE_SETTINGS,
    ConfigFileError,
    Deployment,
    DeploymentError,
    PluginSettings,
    Setting,
    Settings,
    SettingsError,
    env_var_name,
    merged_environ,
    read_dotenv,
)

DEFAULTS = {spec.key: spec.default for spec in CORE_SETTINGS}
CORE_KEYS = [
    "prefix",
    "owner_ids",
    "intents.members",
    "intents.presences",
    "intents.message_content",
    "plugins.enabled",
    "plugins.disabled",
    "plugins.setup_timeout",
    "plugins.hook_timeout",
    "plugins.teardown_timeout",
    "plugins.extensions_dir",
    "hot_reload.enabled",
    "hot_reload.debounce_ms",
    "commands.auto_sync",
    "commands.sync_debounce_seconds",
    "logging.level",
    "logging.directory",
    "logging.max_bytes",
    "logging.backup_count",
    "logging.max_age_days",
    "data_dir",
    "mention_prefix",
    "cooldowns.default_rate",
    "cooldowns.default_per",
    "errors.delete_after",
    "errors.suggest_commands",
    "help.timeout",
    "status.type",
    "status.text",
    "status.rotation",
    "status.rotation_seconds",
    "storage.backend",
    "storage.pg_pool_size",
    "storage.pg_schema",
    "storage.pg_retry_seconds",
    "storage.pool_size",
    "storage.busy_timeout_ms",
    "storage.json_cache_ttl",
    "storage.json_cache_size",
    "storage.backup_count",
    "storage.backup_on_shutdown",
    "storage.departed_guild_grace_hours",
    "storage.maintenance_minutes",
    "performance.freeze_heap",
    "metrics.flush_seconds",
    "marketplace.catalog_url",
    "marketplace.index_url",
    "marketplace.cache_seconds",
    "marketplace.timeout",
    "marketplace.send_instance_id",
    "marketplace.max_retries",
    "marketplace.max_retry_wait",
    "marketplace.pip_timeout",
    "marketplace.allow_insecure_http",
    "startup.guild_ready_timeout",
    "watchdog.blocked_loop_seconds",
]

MUSIC_SPECS = (
    Setting("volume", 50, "int", "Playback volume in percent.", minimum=0, maximum=100),
    Setting("queue.max_size", 100, "int", "Longest queue.", minimum=1),
    Setting("queue.announce", True, "bool", "Announce each track."),
    Setting("voice_region", "auto", "str", "Region.", choices=("auto", "eu", "us")),
)


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in tree.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[prefix + name] = value
    return flat


def write_json(path: Path, data: Any) -> bytes:
    raw = json.dumps(data, indent=4).encode()
    path.write_bytes(raw)
    return raw


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "config.json"


# ----------------------------------------------------------------------------------------- declarations


def test_core_settings_are_exactly_the_documented_keys() -> None:
    assert [spec.key for spec in CORE_SETTINGS] == CORE_KEYS
    for spec in CORE_SETTINGS:
        assert spec.description.strip().endswith("."), spec.key
        assert spec.validate(spec.default, source="default") == spec.default


def test_core_defaults_and_limits() -> None:
    specs = {spec.key: spec for spec in CORE_SETTINGS}
    assert DEFAULTS["prefix"] == "!"
    assert DEFAULTS["logging.max_bytes"] == 10485760
    assert specs["logging.max_bytes"].describe_allowed() == "an integer from 1024 to 2147483647"
    assert specs["plugins.setup_timeout"].describe_allowed() == "a number from 0.1 to 600"
    assert specs["startup.guild_ready_timeout"].describe_allowed() == "a number from 0 to 60"
    assert specs["logging.level"].describe_allowed() == "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    assert specs["prefix"].describe_allowed() == "a string of 1 to 5 characters"
    assert specs["intents.members"].describe_allowed() == "true or false"
    assert specs["plugins.enabled"].describe_allowed() == "a list of strings"
    assert specs["owner_ids"].describe_allowed() == "a list of integers"


@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        (Setting("a", 1, "int", "."), "an integer"),
        (Setting("a", 1, "int", ".", minimum=0), "an integer of at least 0"),
        (Setting("a", 1.0, "float", ".", maximum=2.5), "a number of at most 2.5"),
        (Setting("a", "x", "str", "."), "a string"),
        (Setting("a", "x", "str", ".", min_length=1), "a non-empty string"),
        (Setting("a", "xy", "str", ".", min_length=2), "a string of at least 2 characters"),
        (Setting("a", "x", "str", ".", max_length=1), "a string of at most 1 character"),
        (Setting("a", "xy", "str", ".", min_length=2, max_length=2), "a string of exactly 2 characters"),
    ],
)
def test_describe_allowed(spec: Setting, allowed: str) -> None:
    assert spec.describe_allowed() == allowed


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "a", "default": 1, "kind": "integer", "description": "."},
        {"key": "a..b", "default": 1, "kind": "int", "description": "."},
        {"key": "a-b", "default": 1, "kind": "int", "description": "."},
        {"key": "a", "default": 1, "kind": "int", "description": ".", "choices": ("x",)},
        {"key": "a", "default": "x", "kind": "str", "description": ".", "minimum": 1},
        {"key": "a", "default": 1, "kind": "int", "description": ".", "minimum": 5, "maximum": 1},
    ],
)
def test_bad_declarations_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Setting(**kwargs)


@pytest.mark.parametrize(
    "specs",
    [
        [Setting("a", 1, "int", "."), Setting("a", 2, "int", ".")],
        [Setting("a", 1, "int", "."), Setting("a.b", 2, "int", ".")],
        [Setting("a.b", 1, "int", "."), Setting("a__b", 2, "int", ".")],
        [Setting("plugin_settings.x", 1, "int", ".")],
    ],
)
def test_conflicting_specs_are_refused(specs: list[Setting]) -> None:
    with pytest.raises(ValueError):
        Settings.load(None, {}, specs=specs)


def test_setting_validate_parses_text_only_from_the_environment() -> None:
    spec = Setting("n", 1, "int", ".", minimum=0)
    assert spec.validate("7", source="environment ZORYX_N") == 7
    with pytest.raises(SettingsError) as caught:
        spec.validate("7", source="config.json")
    assert caught.value.key == "n"
    assert caught.value.source == "config.json"
    assert "without quotes" in str(caught.value)


def test_env_var_names() -> None:
    assert env_var_name("logging.max_bytes") == "ZORYX_LOGGING__MAX_BYTES"
    assert env_var_name("prefix") == "ZORYX_PREFIX"
    assert (
        env_var_name("queue.max_size", plugin="zoryx-music.pro")
        == "ZORYX_PLUGIN_SETTINGS__ZORYX_MUSIC_PRO__QUEUE__MAX_SIZE"
    )
    assert CORE_SETTINGS[0].env_var == "ZORYX_PREFIX"


# ------------------------------------------------------------------------------------------ first run


def test_first_run_writes_every_key_and_loads_back_as_defaults(config: Path) -> None:
    settings = Settings.load(config, {})
    assert settings.created
    assert settings.path == config
    text = config.read_text()
    assert text.startswith('{\n  "prefix": "!",\n  "owner_ids": [],\n  "intents": {\n    "members": true')
    written = json.loads(text)
    assert list(flatten(written)) == CORE_KEYS
    assert flatten(written) == DEFAULTS
    assert written["logging"]["level"] == "INFO"
    assert not list(config.parent.glob(".*.tmp"))

    again = Settings.load(config, {})
    assert not again.created and again.added_keys == [] and again.unknown_keys == []
    assert flatten(again.as_dict()) == DEFAULTS
    assert all(again.source_of(key) == "config.json" for key in CORE_KEYS)
    assert config.read_text() == text


def test_first_run_does_not_persist_environment_values(config: Path) -> None:
    settings = Settings.load(config, {"ZORYX_PREFIX": "?", "ZORYX_LOGGING__LEVEL": "debug"})
    assert settings["prefix"] == "?"
    assert settings["logging.level"] == "DEBUG"
    assert flatten(json.loads(config.read_text())) == DEFAULTS


def test_first_run_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "deploy" / "conf" / "config.json"
    Settings.load(path, {})
    assert flatten(json.loads(path.read_text())) == DEFAULTS


def test_no_file_and_no_write(tmp_path: Path, config: Path) -> None:
    settings = Settings.load(None, {"ZORYX_DATA_DIR": "/srv/data"})
    assert settings.path is None
    assert settings["data_dir"] == "/srv/data"
    assert settings["prefix"] == "!"
    assert list(tmp_path.iterdir()) == []

    Settings.load(config, {}, write=False)
    assert not config.exists()


# ----------------------------------------------------------------------------------- environment layer


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("prefix", "?", "?"),
        ("owner_ids", "1, 2,3", [1, 2, 3]),
        ("owner_ids", "", []),
        ("intents.presences", "yes", True),
        ("intents.presences", "ON", True),
        ("intents.presences", "1", True),
        ("intents.members", "false", False),
        ("intents.members", "No", False),
        ("intents.members", "0", False),
        ("intents.members", "off", False),
        ("plugins.enabled", "music, moderation ,", ["music", "moderation"]),
        ("plugins.disabled", "", []),
        ("plugins.hook_timeout", "2.5", 2.5),
        ("plugins.setup_timeout", "60", 60.0),
        ("hot_reload.debounce_ms", " 500 ", 500),
        ("logging.level", "warning", "WARNING"),
        ("logging.max_bytes", "2048", 2048),
    ],
)
def test_environment_overrides_each_kind(config: Path, key: str, text: str, expected: Any) -> None:
    variable = env_var_name(key)
    settings = Settings.load(config, {variable: text})
    assert settings[key] == expected
    assert type(settings[key]) is type(expected)
    assert settings.source_of(key) == f"environment {variable}"


@pytest.mark.parametrize(
    ("key", "text", "allowed"),
    [
        ("hot_reload.enabled", "maybe", "true or false (or 1/0, yes/no, on/off)"),
        ("hot_reload.debounce_ms", "fast", "an integer from 10 to 10000"),
        ("hot_reload.debounce_ms", "5", "an integer from 10 to 10000"),
        ("plugins.hook_timeout", "nan", "a number from 0.1 to 600"),
        ("plugins.hook_timeout", "1e9", "a number from 0.1 to 600"),
        ("owner_ids", "1,two", "a comma-separated list of integers"),
        ("owner_ids", "1,-2", "a comma-separated list of integers"),
        ("logging.level", "LOUD", "one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("prefix", "", "a string of 1 to 5 characters"),
    ],
)
def test_bad_environment_values(key: str, text: str, allowed: str) -> None:
    variable = env_var_name(key)
    with pytest.raises(SettingsError) as caught:
        Settings.load(None, {variable: text})
    err = caught.value
    assert (err.key, err.value, err.allowed, err.source) == (key, text, allowed, f"environment {variable}")
    message = str(err)
    assert "\n" not in message
    assert message.startswith(f"environment {variable}: {key} = {json.dumps(text)} is not allowed")
    assert message.endswith(f"; expected {allowed}")


def test_precedence_default_file_environment(config: Path) -> None:
    write_json(config, {"prefix": "?", "logging": {"level": "debug", "backup_count": 2}})
    settings = Settings.load(config, {"ZORYX_LOGGING__LEVEL": "error", "UNRELATED": "x"}, write=False)
    assert settings["prefix"] == "?"
    assert settings.source_of("prefix") == "config.json"
    assert settings["logging.level"] == "ERROR"
    assert settings.source_of("logging.level") == "environment ZORYX_LOGGING__LEVEL"
    assert settings["logging.backup_count"] == 2
    assert settings["data_dir"] == "data"
    assert settings.source_of("data_dir") == "default"
    assert settings.as_dict()["logging"]["level"] == "ERROR"


def test_environ_none_means_process_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ZORYX_LOGGING__BACKUP_COUNT", "9")
    assert Settings.load(None)["logging.backup_count"] == 9


# ---------------------------------------------------------------------------------------- file layer


def test_file_values_are_validated_and_coerced(config: Path) -> None:
    write_json(
        config,
        {
            "plugins": {"setup_timeout": 5, "enabled": ["music"]},
            "logging": {"level": "debug"},
            "owner_ids": [7],
        },
    )
    settings = Settings.load(config, {}, write=False)
    assert settings["plugins.setup_timeout"] == 5.0
    assert isinstance(settings["plugins.setup_timeout"], float)
    assert settings["logging.level"] == "DEBUG"
    assert settings["plugins.enabled"] == ["music"]
    assert settings["owner_ids"] == [7]


@pytest.mark.parametrize(
    ("data", "key", "value", "allowed", "reason"),
    [
        (
            {"logging": {"max_bytes": "5000"}},
            "logging.max_bytes",
            "5000",
            "an integer from 1024 to 2147483647",
            "it is a string, not an integer (write 5000 without quotes)",
        ),
        (
            {"logging": {"max_bytes": True}},
            "logging.max_bytes",
            True,
            "an integer from 1024 to 2147483647",
            "it is true/false, not an integer",
        ),
        (
            {"logging": {"max_bytes": 4096.5}},
            "logging.max_bytes",
            4096.5,
            "an integer from 1024 to 2147483647",
            "it has a decimal point",
        ),
        (
            {"plugins": {"hook_timeout": False}},
            "plugins.hook_timeout",
            False,
            "a number from 0.1 to 600",
            "it is true/false, not a number",
        ),
        (
            {"intents": {"members": "true"}},
            "intents.members",
            "true",
            "true or false",
            "it is a string, not true or false (write true without quotes)",
        ),
        ({"intents": {"members": 1}}, "intents.members", 1, "true or false", "it is a number"),
        ({"prefix": ["!"]}, "prefix", ["!"], "a string of 1 to 5 characters", "it is a list, not a string"),
        ({"prefix": None}, "prefix", None, "a string of 1 to 5 characters", "it is null"),
        (
            {"plugins": {"enabled": "music"}},
            "plugins.enabled",
            "music",
            "a list of strings",
            "it is a string",
        ),
        ({"owner_ids": [1, "2"]}, "owner_ids", [1, "2"], "a list of integers", 'item 2 ("2") is a string'),
        ({"owner_ids": [True]}, "owner_ids", [True], "a list of integers", "item 1 (true) is true/false"),
    ],
)
def test_wrong_types_in_file(
    config: Path, data: dict[str, Any], key: str, value: Any, allowed: str, reason: str
) -> None:
    raw = write_json(config, data)
    with pytest.raises(SettingsError) as caught:
        Settings.load(config, {})
    err = caught.value
    assert (err.key, err.value, err.allowed, err.source) == (key, value, allowed, "config.json")
    assert err.reason is not None and err.reason.startswith(reason)
    message = str(err)
    assert "\n" not in message
    assert message.startswith(f"config.json: {key} = {json.dumps(value)} is not allowed: {reason}")
    assert message.endswith(f"; expected {allowed}")
    assert config.read_bytes() == raw  # missing keys are not written when loading fails


def test_out_of_range_message(config: Path) -> None:
    write_json(config, {"logging": {"max_bytes": -5}})
    with pytest.raises(SettingsError) as caught:
        Settings.load(config, {})
    assert str(caught.value) == (
        "config.json: logging.max_bytes = -5 is not allowed; expected an integer from 1024 to 2147483647"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"logging": {"level": "LOUD"}},
            'config.json: logging.level = "LOUD" is not allowed; '
            "expected one of DEBUG, INFO, WARNING, ERROR, CRITICAL",
        ),
        (
            {"prefix": "toolong"},
            'config.json: prefix = "toolong" is not allowed; expected a string of 1 to 5 characters',
        ),
        (
            {"plugins": {"teardown_timeout": 0}},
            "config.json: plugins.teardown_timeout = 0 is not allowed; expected a number from 0.1 to 600",
        ),
        (
            {"owner_ids": [5, 0]},
            "config.json: owner_ids = [5, 0] is not allowed: every owner id must be a positive integer "
            "(not 0); expected a list of integers",
        ),
        (
            {"plugins": {"disabled": [""]}},
            'config.json: plugins.disabled = [""] is not allowed: plugin names must not be empty; '
            "expected a list of strings",
        ),
        (
            {"logging": 5},
            "config.json: logging = 5 is not allowed: it is a number, not an object; expected an object "
            "with the keys level, directory, max_bytes, backup_count, max_age_days",
        ),
        (
            {"plugin_settings": []},
            "config.json: plugin_settings = [] is not allowed: it is a list, not an object; "
            "expected an object mapping plugin names to their settings",
        ),
    ],
)
def test_bad_values_in_file(config: Path, data: dict[str, Any], message: str) -> None:
    write_json(config, data)
    with pytest.raises(SettingsError) as caught:
        Settings.load(config, {})
    assert str(caught.value) == message


def test_bad_file_value_is_reported_even_when_environment_overrides_it(config: Path) -> None:
    write_json(config, {"prefix": 5})
    with pytest.raises(SettingsError, match="prefix = 5"):
        Settings.load(config, {"ZORYX_PREFIX": "?"})


# ------------------------------------------------------------------------------------ unparsable files


def test_malformed_json_reports_line_and_column_and_is_left_untouched(config: Path) -> None:
    raw = b'{\n  "prefix": "?",\n  "data_dir": "x"\n  "logging": {}\n}\n'
    config.write_bytes(raw)
    with pytest.raises(ConfigFileError) as caught:
        Settings.load(config, {})
    err = caught.value
    assert (err.path, err.line, err.column) == (config, 4, 3)
    assert err.message == "Expecting ',' delimiter"
    assert (
        str(err)
        == f"{config} line 4, column 3: Expecting ',' delimiter; fix the file (it was left untouched)"
    )
    assert config.read_bytes() == raw
    assert [p.name for p in config.parent.iterdir()] == ["config.json"]


def test_relative_path_message_matches_the_documented_form(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("config.json").write_text('{\n  "prefix": "?",\n  "x" 1\n}')
    with pytest.raises(ConfigFileError) as caught:
        Settings.load(Path("config.json"), {})
    assert str(caught.value) == (
        "config.json line 3, column 7: Expecting ':' delimiter; fix the file (it was left untouched)"
    )


def test_trailing_comma(config: Path) -> None:
    raw = b'{"prefix": "?",}'
    config.write_bytes(raw)
    with pytest.raises(ConfigFileError) as caught:
        Settings.load(config, {})
    assert (caught.value.line, caught.value.column) == (1, 16)
    assert config.read_bytes() == raw


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"[]", "the top level must be a JSON object {...}, not a list"),
        (b'"settings"', "the top level must be a JSON object {...}, not a string"),
        (b"5", "not a number"),
        (b"null", "not null"),
        (b"", "the file is empty"),
        (b"  \n", "the file is empty"),
        (b'{"prefix": "?", "prefix": "!"}', 'the key "prefix" appears twice'),
    ],
)
def test_unusable_files_are_reported_and_kept(config: Path, raw: bytes, fragment: str) -> None:
    config.write_bytes(raw)
    with pytest.raises(ConfigFileError) as caught:
        Settings.load(config, {})
    assert fragment in str(caught.value)
    assert str(caught.value).endswith("; fix the file (it was left untouched)")
    assert caught.value.line is None
    assert config.read_bytes() == raw


def test_invalid_utf8_has_a_position(config: Path) -> None:
    raw = b'{\n  "prefix": "\xff"\n}'
    config.write_bytes(raw)
    with pytest.raises(ConfigFileError) as caught:
        Settings.load(config, {})
    assert (caught.value.line, caught.value.column) == (2, 14)
    assert "UTF-8" in str(caught.value)
    assert config.read_bytes() == raw


def test_huge_numbers(config: Path) -> None:
    write_json(config, {"plugins": {"hook_timeout": 10**400}})
    with pytest.raises(SettingsError, match="it is not a finite number"):
        Settings.load(config, {})
    config.write_text('{"prefix": ' + "9" * 5000 + "}")
    with pytest.raises(ConfigFileError):
        Settings.load(config, {})


def test_utf8_bom_is_accepted(config: Path) -> None:
    config.write_bytes(b'\xef\xbb\xbf{"prefix": "?"}')
    assert Settings.load(config, {}, write=False)["prefix"] == "?"


def test_unreadable_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="cannot be read"):
        Settings.load(tmp_path, {})


# -------------------------------------------------------------------------------- adding missing keys


def test_missing_keys_are_added_keeping_user_values_and_unknown_keys(config: Path) -> None:
    user = {
        "custom": {"nested": [1, 2, {"x": None}], "float": 1.5},
        "logging": {"max_bytes": 4096, "colour": "blue"},
        "prefix": "$",
        "plugins": {"enabled": ["music"]},
        "zzz": "last",
    }
    write_json(config, user)
    settings = Settings.load(config, {"ZORYX_DATA_DIR": "elsewhere"})
    assert not settings.created
    assert settings.unknown_keys == ["custom", "logging.colour", "zzz"]
    assert set(settings.added_keys) == set(CORE_KEYS) - {"logging.max_bytes", "prefix", "plugins.enabled"}

    written = json.loads(config.read_text())
    flat = flatten(written)
    for key in CORE_KEYS:
        assert key in flat
    assert written["custom"] == user["custom"]
    assert written["zzz"] == "last"
    assert written["logging"]["colour"] == "blue"
    assert written["logging"]["max_bytes"] == 4096
    assert written["prefix"] == "$"
    assert written["plugins"]["enabled"] == ["music"]
    assert written["data_dir"] == "data"  # the environment value is not persisted
    # The user's keys keep their order; added keys sit next to their declared neighbours.
    assert [key for key in written if key in user] == list(user)
    assert list(written) == [
        "custom",
        "logging",
        "data_dir",
        "mention_prefix",
        "cooldowns",
        "errors",
        "help",
        "status",
        "storage",
        "performance",
        "metrics",
        "marketplace",
        "startup",
        "watchdog",
        "prefix",
        "owner_ids",
        "intents",
        "plugins",
        "hot_reload",
        "commands",
        "zzz",
    ]
    assert list(written["logging"]) == [
        "level",
        "directory",
        "max_bytes",
        "backup_count",
        "max_age_days",
        "colour",
    ]
    assert list(written["plugins"]) == [
        "enabled",
        "disabled",
        "setup_timeout",
        "hook_timeout",
        "teardown_timeout",
        "extensions_dir",
    ]
    assert config.read_text().startswith('{\n  "custom": {\n    "nested": [\n')
    assert not list(config.parent.glob(".*.tmp"))

    before = config.read_bytes()
    again = Settings.load(config, {})
    assert again.added_keys == [] and again["prefix"] == "$" and again["logging.max_bytes"] == 4096
    assert config.read_bytes() == before


def test_complete_file_is_not_rewritten(config: Path) -> None:
    Settings.load(config, {})
    data = json.loads(config.read_text())
    raw = json.dumps(data, indent=8).encode()  # a user's own formatting
    config.write_bytes(raw)
    Settings.load(config, {})
    assert config.read_bytes() == raw


def test_missing_keys_are_not_written_without_write(config: Path) -> None:
    raw = write_json(config, {"prefix": "?"})
    settings = Settings.load(config, {}, write=False)
    assert settings["logging.level"] == "INFO"
    assert settings.added_keys == []
    assert config.read_bytes() == raw


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_rewrite_keeps_the_owner_bits_and_drops_group_and_other_access(config: Path) -> None:
    write_json(config, {"prefix": "?"})
    config.chmod(0o640)
    Settings.load(config, {})
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    assert "logging" in json.loads(config.read_text())


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_rewrite_follows_a_symlinked_config(tmp_path: Path, config: Path) -> None:
    real = tmp_path / "shared" / "real.json"
    real.parent.mkdir()
    write_json(real, {"prefix": "?"})
    config.symlink_to(real)
    settings = Settings.load(config, {})
    assert config.is_symlink()
    assert json.loads(real.read_text())["logging"]["level"] == "INFO"
    assert settings.source_of("prefix") == "config.json"


def test_write_failure_keeps_the_file_and_settings_still_load(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = write_json(config, {"prefix": "?"})

    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("zoryx_core.settings.os.replace", refuse)
    settings = Settings.load(config, {})
    assert settings["prefix"] == "?"
    assert settings.added_keys == []
    assert settings.write_error is not None and "Permission denied" in settings.write_error
    assert config.read_bytes() == raw
    assert [p.name for p in config.parent.iterdir()] == ["config.json"]  # the temp file was removed


# ------------------------------------------------------------------------------------------ access API


def test_lookup_api(config: Path) -> None:
    settings = Settings.load(config, {"ZORYX_OWNER_IDS": "3,4"})
    with pytest.raises(KeyError, match=r"logging\.levl.*did you mean 'logging\.level'"):
        settings["logging.levl"]
    with pytest.raises(KeyError, match="nope"):
        settings.source_of("nope")
    assert settings.get("nope") is None
    assert settings.get("nope", 5) == 5
    assert settings.get("prefix") == "!"
    assert "prefix" in settings and "nope" not in settings
    owners = settings["owner_ids"]
    owners.append(99)
    assert settings["owner_ids"] == [3, 4]
    tree = settings.as_dict()
    tree["plugins"]["enabled"].append("x")
    assert settings["plugins.enabled"] == []
    assert flatten(settings.as_dict()) == {**DEFAULTS, "owner_ids": [3, 4]}
    assert settings.specs == CORE_SETTINGS


def test_custom_specs(config: Path) -> None:
    specs = [Setting("a.b", 1, "int", "."), Setting("c", ("x",), "list[str]", ".")]
    settings = Settings.load(config, {"ZORYX_A__B": "2"}, specs=specs)
    assert settings["a.b"] == 2 and settings["c"] == ["x"]
    assert json.loads(config.read_text()) == {"a": {"b": 1}, "c": ["x"]}


def test_invalid_default_is_reported_as_default(config: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.load(None, {}, specs=[Setting("n", 0, "int", ".", minimum=1)])
    assert caught.value.source == "default"
    assert str(caught.value) == "default: n = 0 is not allowed; expected an integer of at least 1"


# ------------------------------------------------------------------------------------- plugin settings


def test_plugin_settings_declare_validate_env_and_add_missing(config: Path) -> None:
    user = {
        "prefix": "?",
        "plugin_settings": {
            "zoryx-music": {"volume": 80, "queue": {"announce": False}, "legacy": 1},
            "other": {"keep": True},
        },
    }
    write_json(config, user)
    settings = Settings.load(config, {"ZORYX_PLUGIN_SETTINGS__ZORYX_MUSIC__QUEUE__MAX_SIZE": "7"})
    assert settings.unknown_keys == []  # plugin sections are not judged before they are declared

    view = settings.declare_plugin("zoryx-music", MUSIC_SPECS)
    assert isinstance(view, PluginSettings)
    assert view.plugin == "zoryx-music"
    assert dict(view) == {"volume": 80, "queue.max_size": 7, "queue.announce": False, "voice_region": "auto"}
    assert view.source_of("volume") == "config.json"
    assert (
        view.source_of("queue.max_size") == "environment ZORYX_PLUGIN_SETTINGS__ZORYX_MUSIC__QUEUE__MAX_SIZE"
    )
    assert view.source_of("voice_region") == "default"
    assert view.unknown_keys == ["legacy"]
    assert "plugin_settings.zoryx-music.legacy" in settings.unknown_keys
    assert view.as_dict() == {
        "volume": 80,
        "queue": {"max_size": 7, "announce": False},
        "voice_region": "auto",
    }
    assert settings.plugin("zoryx-music") is view
    assert settings.as_dict()["plugin_settings"]["zoryx-music"]["volume"] == 80
    assert [key for key in settings.added_keys if key.startswith("plugin_settings.")] == [
        "plugin_settings.zoryx-music.queue.max_size",
        "plugin_settings.zoryx-music.voice_region",
    ]

    written = json.loads(config.read_text())
    assert written["prefix"] == "?"
    assert written["plugin_settings"]["other"] == {"keep": True}
    assert written["plugin_settings"]["zoryx-music"] == {
        "volume": 80,
        "queue": {"max_size": 100, "announce": False},
        "voice_region": "auto",
        "legacy": 1,
    }
    assert flatten({k: v for k, v in written.items() if k != "plugin_settings"}) == {
        **DEFAULTS,
        "prefix": "?",
    }


def test_plugin_settings_on_first_run_are_written(config: Path) -> None:
    settings = Settings.load(config, {})
    settings.declare_plugin("music", MUSIC_SPECS)
    written = json.loads(config.read_text())
    assert written["plugin_settings"] == {
        "music": {"volume": 50, "queue": {"max_size": 100, "announce": True}, "voice_region": "auto"}
    }
    reloaded = Settings.load(config, {})
    assert reloaded.declare_plugin("music", MUSIC_SPECS).source_of("volume") == "config.json"
    assert reloaded.added_keys == []


def test_plugin_declarations_in_a_row_write_the_file_once(config: Path) -> None:
    settings = Settings.load(config, {})
    created = config.read_text()
    with settings.deferred_writes():
        settings.declare_plugin("music", MUSIC_SPECS)
        settings.declare_plugin("radio", MUSIC_SPECS)
        assert config.read_text() == created  # not written yet
    assert settings.flush()
    written = json.loads(config.read_text())
    assert sorted(written["plugin_settings"]) == ["music", "radio"]
    assert "plugin_settings.radio.voice_region" in settings.added_keys
    assert not settings.flush()  # nothing left to write
    settings.declare_plugin("later", MUSIC_SPECS)  # outside: written at once, as before
    assert "later" in json.loads(config.read_text())["plugin_settings"]


def test_plugin_view_is_read_only(config: Path) -> None:
    view = Settings.load(None, {}).declare_plugin("music", MUSIC_SPECS)
    with pytest.raises(TypeError):
        view["volume"] = 5  # type: ignore[index]
    with pytest.raises(KeyError, match="volum"):
        view["volum"]
    assert len(view) == 4 and list(view) == ["volume", "queue.max_size", "queue.announce", "voice_region"]
    assert view.get("nope") is None
    assert view.specs == MUSIC_SPECS


@pytest.mark.parametrize(
    ("section", "environ", "message"),
    [
        (
            {"volume": 150},
            {},
            "config.json: plugin_settings.music.volume = 150 is not allowed; "
            "expected an integer from 0 to 100",
        ),
        (
            {"volume": "loud"},
            {},
            'config.json: plugin_settings.music.volume = "loud" is not allowed: '
            "it is a string, not an integer; expected an integer from 0 to 100",
        ),
        (
            {"voice_region": "mars"},
            {},
            'config.json: plugin_settings.music.voice_region = "mars" is not allowed; '
            "expected one of auto, eu, us",
        ),
        (
            {"queue": 3},
            {},
            "config.json: plugin_settings.music.queue = 3 is not allowed: it is a number, not an object; "
            "expected an object with the keys max_size, announce",
        ),
        (
            {},
            {"ZORYX_PLUGIN_SETTINGS__MUSIC__QUEUE__ANNOUNCE": "sometimes"},
            "environment ZORYX_PLUGIN_SETTINGS__MUSIC__QUEUE__ANNOUNCE: "
            'plugin_settings.music.queue.announce = "sometimes" is not allowed; '
            "expected true or false (or 1/0, yes/no, on/off)",
        ),
        (
            "all",
            {},
            'config.json: plugin_settings.music = "all" is not allowed: it is a string, not an object; '
            "expected an object with the plugin's settings",
        ),
    ],
)
def test_plugin_settings_errors(config: Path, section: Any, environ: dict[str, str], message: str) -> None:
    raw = write_json(config, {"plugin_settings": {"music": section}})
    settings = Settings.load(config, environ)
    after_load = config.read_bytes()
    assert after_load != raw  # core keys were added
    with pytest.raises(SettingsError) as caught:
        settings.declare_plugin("music", MUSIC_SPECS)
    assert str(caught.value) == message
    assert caught.value.key.startswith("plugin_settings.music")
    assert config.read_bytes() == after_load
    with pytest.raises(KeyError, match="music"):
        settings.plugin("music")


def test_plugin_settings_without_file_or_write(config: Path) -> None:
    settings = Settings.load(None, {"ZORYX_PLUGIN_SETTINGS__MUSIC__VOLUME": "10"})
    assert settings.declare_plugin("music", MUSIC_SPECS)["volume"] == 10

    raw = write_json(config, {"prefix": "?"})
    settings = Settings.load(config, {}, write=False)
    assert settings.declare_plugin("music", MUSIC_SPECS)["volume"] == 50
    assert config.read_bytes() == raw


def test_plugin_redeclaration_replaces_the_view(config: Path) -> None:
    settings = Settings.load(config, {})
    first = settings.declare_plugin("music", MUSIC_SPECS[:1])
    second = settings.declare_plugin("music", [*MUSIC_SPECS, Setting("bitrate", 64, "int", "kbps.")])
    assert settings.plugin("music") is second and first is not second
    assert second["bitrate"] == 64
    assert json.loads(config.read_text())["plugin_settings"]["music"]["bitrate"] == 64


def test_plugin_name_must_be_given() -> None:
    with pytest.raises(ValueError):
        Settings.load(None, {}).declare_plugin("", MUSIC_SPECS)


# ------------------------------------------------------------------------------------------ deployment


def test_deployment_parsing() -> None:
    deployment = Deployment.from_environ(
        {
            "DISCORD_TOKEN": " secret.token ",
            "BOT_OWNER_ID": "123",
            "BOT_OWNER_IDS": "456, 789,",
            "SHARD_COUNT": "4",
            "SHARD_IDS": "2,0",
        }
    )
    assert deployment.token == "secret.token"
    assert deployment.owner_id == 123
    assert deployment.owner_ids == frozenset({456, 789})
    assert deployment.all_owner_ids == frozenset({123, 456, 789})
    assert deployment.shard_count == 4
    assert deployment.shard_ids == (2, 0)
    assert "secret" not in repr(deployment)
    deployment.require_credentials()


def test_deployment_empty_values_are_unset() -> None:
    names = ("DISCORD_TOKEN", "BOT_OWNER_ID", "BOT_OWNER_IDS", "SHARD_COUNT", "SHARD_IDS")
    deployment = Deployment.from_environ(dict.fromkeys(names, ""))
    assert deployment == Deployment(None, None, frozenset(), None, None)
    assert Deployment.from_environ({}) == deployment
    assert Deployment.from_environ({"SHARD_COUNT": "2"}).shard_ids is None


@pytest.mark.parametrize(
    ("environ", "variable", "message"),
    [
        (
            {"BOT_OWNER_ID": "abc"},
            "BOT_OWNER_ID",
            'BOT_OWNER_ID = "abc" is not allowed; expected a positive integer (your Discord user id)',
        ),
        (
            {"BOT_OWNER_ID": "0"},
            "BOT_OWNER_ID",
            'BOT_OWNER_ID = "0" is not allowed; expected a positive integer (your Discord user id)',
        ),
        ({"BOT_OWNER_ID": "-4"}, "BOT_OWNER_ID", 'BOT_OWNER_ID = "-4" is not allowed'),
        (
            {"BOT_OWNER_IDS": "1,abc"},
            "BOT_OWNER_IDS",
            'BOT_OWNER_IDS = "1,abc" is not allowed: "abc" is not a positive integer; '
            "expected a comma-separated list of positive integers (Discord user ids)",
        ),
        ({"BOT_OWNER_IDS": "0"}, "BOT_OWNER_IDS", '"0" is not a positive integer'),
        (
            {"SHARD_COUNT": "0"},
            "SHARD_COUNT",
            'SHARD_COUNT = "0" is not allowed; expected an integer of at least 1',
        ),
        ({"SHARD_COUNT": "two"}, "SHARD_COUNT", 'SHARD_COUNT = "two" is not allowed'),
        (
            {"SHARD_IDS": "0,1"},
            "SHARD_IDS",
            'SHARD_IDS = "0,1" is not allowed: SHARD_COUNT must be set too; '
            "expected a comma-separated list of shard ids below SHARD_COUNT",
        ),
        (
            {"SHARD_COUNT": "2", "SHARD_IDS": "0,2"},
            "SHARD_IDS",
            'SHARD_IDS = "0,2" is not allowed: shard 2 is outside 0 to 1 (SHARD_COUNT=2); '
            "expected a comma-separated list of distinct shard ids from 0 to 1",
        ),
        ({"SHARD_COUNT": "2", "SHARD_IDS": "-1"}, "SHARD_IDS", "shard -1 is outside 0 to 1"),
        (
            {"SHARD_COUNT": "3", "SHARD_IDS": "1,2,1"},
            "SHARD_IDS",
            'SHARD_IDS = "1,2,1" is not allowed: shard 1 is listed twice',
        ),
        ({"SHARD_COUNT": "3", "SHARD_IDS": "1,x"}, "SHARD_IDS", '"x" is not an integer'),
    ],
)
def test_deployment_errors(environ: dict[str, str], variable: str, message: str) -> None:
    with pytest.raises(DeploymentError) as caught:
        Deployment.from_environ(environ)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert caught.value.variable == variable
    assert caught.value.value == environ[variable]


def test_require_credentials() -> None:
    with pytest.raises(DeploymentError) as caught:
        Deployment.from_environ({"BOT_OWNER_ID": "1"}).require_credentials()
    assert str(caught.value) == (
        "DISCORD_TOKEN is not set: put DISCORD_TOKEN=<your bot token> and BOT_OWNER_ID=<your user id> "
        "in .env or the environment, or run `zoryx sandbox` to try Zoryx without a token"
    )
    with pytest.raises(DeploymentError, match=r"^DISCORD_TOKEN is not set"):
        Deployment.from_environ({}).require_credentials()
    with pytest.raises(DeploymentError) as caught:
        Deployment.from_environ({"DISCORD_TOKEN": "t", "BOT_OWNER_IDS": "5"}).require_credentials()
    assert str(caught.value).startswith("BOT_OWNER_ID is not set: put BOT_OWNER_ID=<your user id> in .env")
    assert "zoryx sandbox" in str(caught.value) and "\n" not in str(caught.value)
    Deployment.from_environ({"DISCORD_TOKEN": "t", "BOT_OWNER_ID": "5"}).require_credentials()


# ------------------------------------------------------------------------------------------------- .env


def test_read_dotenv_forms(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes(
        "\ufeff# Zoryx deployment\n"
        "\n"
        "DISCORD_TOKEN=abc.def-ghi\n"
        "export BOT_OWNER_ID=123\n"
        "  SPACED = value with spaces   \n"
        "INLINE=kept # a comment\n"
        "HASH=a#b\n"
        "EMPTY=\n"
        "EMPTY_COMMENT= # nothing\n"
        "SINGLE='lit\\n # not a comment' # comment\n"
        'DOUBLE="line1\\nline2 \\"q\\" \\\\ \\t # kept"\n'
        'DOUBLE_EMPTY=""\n'
        "EQUALS=a=b=c\n"
        "WINDOWS=crlf\r\n"
        "exported_value=export\n"
        "DUP=first\n"
        "DUP=second\n".encode()
    )
    assert read_dotenv(path) == {
        "DISCORD_TOKEN": "abc.def-ghi",
        "BOT_OWNER_ID": "123",
        "SPACED": "value with spaces",
        "INLINE": "kept",
        "HASH": "a#b",
        "EMPTY": "",
        "EMPTY_COMMENT": "",
        "SINGLE": "lit\\n # not a comment",
        "DOUBLE": 'line1\nline2 "q" \\ \t # kept',
        "DOUBLE_EMPTY": "",
        "EQUALS": "a=b=c",
        "WINDOWS": "crlf",
        "exported_value": "export",
        "DUP": "second",
    }


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("GOOD=1\nNOT A SETTING\n", 2, "expected KEY=VALUE; the line has no '='"),
        ("# c\n\n1BAD=x\n", 3, "the name before '=' starts with a digit"),
        ("BAD-NAME=x\n", 1, "the name before '=' holds characters other than letters, digits and _"),
        ("=x\n", 1, "the variable's name is missing"),
        ("A='open\n", 1, "(A): the single quote is not closed"),
        ('A=1\nB="open \\"\n', 2, "(B): the double quote is not closed"),
        ("A='x' y\n", 1, "(A): there is text after the closing quote"),
    ],
)
def test_read_dotenv_malformed_lines(tmp_path: Path, text: str, line: int, fragment: str) -> None:
    path = tmp_path / ".env"
    path.write_text(text)
    with pytest.raises(DeploymentError) as caught:
        read_dotenv(path)
    assert str(caught.value).startswith(f"{path} line {line}")
    assert fragment in str(caught.value)


def _dotenv(tmp_path: Path, text: str) -> dict[str, str]:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return read_dotenv(path)


def test_read_dotenv_quoting(tmp_path: Path) -> None:
    values = _dotenv(
        tmp_path,
        "SINGLE='a \\'quoted\\' $word'\n"  # only \' and \\ are escapes in single quotes
        "SINGLE_BACKSLASH='C:\\\\path\\n'\n"
        "DOUBLE=\"tab\\there \\'ok\\' end\"\n"
        'ENDS_IN_BACKSLASH="dir\\\\"\n'
        "SPACES_KEPT='  padded  '\n"
        "UNQUOTED_QUOTE=it's\n"
        "NO_EXPANSION=${HOME}/$USER\n"
        'HASH_IN_QUOTES="a # b"\n',
    )
    assert values == {
        "SINGLE": "a 'quoted' $word",
        "SINGLE_BACKSLASH": "C:\\path\\n",
        "DOUBLE": "tab\there 'ok' end",
        "ENDS_IN_BACKSLASH": "dir\\",
        "SPACES_KEPT": "  padded  ",
        "UNQUOTED_QUOTE": "it's",
        "NO_EXPANSION": "${HOME}/$USER",
        "HASH_IN_QUOTES": "a # b",
    }


def test_read_dotenv_export_prefix_and_comments(tmp_path: Path) -> None:
    values = _dotenv(
        tmp_path,
        "# leading comment\n"
        "   # indented comment\n"
        "export A=1\n"
        "export\tB=2 # tab after export\n"
        "   export C = 3\n"
        "exporter=4\n"
        "D=#not-a-comment\n"
        "E= # a comment: E is empty\n"
        "F='x' # after a quoted value\n"
        "#G=commented out\n",
    )
    assert values == {"A": "1", "B": "2", "C": "3", "exporter": "4", "D": "#not-a-comment", "E": "", "F": "x"}


def test_read_dotenv_multi_line_values(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    key = "-----BEGIN KEY-----\nabc\ndef\n-----END KEY-----"
    text = f"FIRST=1\nPEM=\"{key}\"\nNOTE='two\nlines' # comment\n\nLAST=2\nBROKEN-NAME=3\n"
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DeploymentError) as caught:  # the line count goes on past multi-line values
        read_dotenv(path)
    assert str(caught.value).startswith(f"{path} line 10:")
    path.write_text(text.replace("BROKEN-NAME=3\n", ""), encoding="utf-8")
    with caplog.at_level("WARNING", logger="zoryx_core.settings"):
        assert read_dotenv(path) == {"FIRST": "1", "PEM": key, "NOTE": "two\nlines", "LAST": "2"}
    assert caplog.records == []
    # A quote closed lines too late swallows the variables in between: loud, without the values.
    path.write_text("PREFIX='!\nDISCORD_TOKEN=tok-secret-1\nBOT_OWNER_ID=1'\n", encoding="utf-8")
    with caplog.at_level("WARNING", logger="zoryx_core.settings"):
        assert read_dotenv(path) == {"PREFIX": "!\nDISCORD_TOKEN=tok-secret-1\nBOT_OWNER_ID=1"}
    [record] = caplog.records
    assert record.getMessage().startswith(f"{path} line 1 (PREFIX): the quoted value spans lines")
    assert "tok-secret" not in record.getMessage()


def test_read_dotenv_names_the_line_of_an_unclosed_quote_after_a_multi_line_value(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("A='one\ntwo'\n\nB=\"open\nC=3\n", encoding="utf-8")
    with pytest.raises(DeploymentError) as caught:
        read_dotenv(path)
    assert str(caught.value) == (
        f"{path} line 4 (B): the double quote is not closed "
        '(a quoted value may span lines but must end with ")'
    )
    assert caught.value.variable == "B"


def test_read_dotenv_unreadable(tmp_path: Path) -> None:
    with pytest.raises(DeploymentError, match="cannot be read"):
        read_dotenv(tmp_path)
    (tmp_path / "bad.env").write_bytes(b"A=\xff\n")
    with pytest.raises(DeploymentError, match=r"bad\.env"):
        read_dotenv(tmp_path / "bad.env")


def test_merged_environ_precedence(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("DISCORD_TOKEN=from-dotenv\nBOT_OWNER_ID=1\nSHARD_COUNT=2\nZORYX_PREFIX=?\n")
    merged = merged_environ(path, {"BOT_OWNER_ID": "2", "SHARD_COUNT": "", "OTHER": "x", "ZORYX_PREFIX": "$"})
    assert merged == {
        "DISCORD_TOKEN": "from-dotenv",
        "BOT_OWNER_ID": "2",  # the real environment wins
        "SHARD_COUNT": "2",  # an empty variable does not hide the .env value
        "ZORYX_PREFIX": "$",
        "OTHER": "x",
    }
    assert merged_environ(tmp_path / "missing.env", {"A": "1"}) == {"A": "1"}
    assert merged_environ(None, {"A": ""}) == {"A": ""}
    deployment = Deployment.from_environ(merged)
    assert (deployment.token, deployment.owner_id, deployment.shard_count) == ("from-dotenv", 2, 2)
    assert Settings.load(None, merged)["prefix"] == "$"


def test_merged_environ_reports_a_malformed_dotenv(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_text("oops\n")
    with pytest.raises(DeploymentError, match="line 1"):
        merged_environ(path, os.environ)
