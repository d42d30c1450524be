"""The environment the Zoryx-vs-discord.py benchmarks run in: every framework plugin installed.

A real deployment installs the framework plugins of ``plugins/`` next to zoryx-core, so the
benchmarks that compare Zoryx with bare discord.py measure a bot with all of them. The repository's
own ``.venv`` holds only the core and the ``zoryx-hello`` example (installing the plugins there would
change what the core test suite discovers), so the benchmarks use a virtual environment of their own:

- when the interpreter running a benchmark lacks any framework plugin, the benchmark creates (once)
  ``.bench-venv`` at the repository root (``$ZORYX_BENCH_VENV`` overrides the folder), installs
  zoryx-core (editable, with its ``testing`` extra) and every ``plugins/zoryx-*`` (editable) into it,
  and runs itself again with that interpreter. The environment is reused; it is reinstalled when a
  ``pyproject.toml`` changed since it was set up (editable installs follow source changes anyway);
- with ``--no-bench-venv`` it stops instead, with one line naming the missing plugins and the
  command that installs them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLUGINS_DIR = ROOT / "plugins"
DEFAULT_VENV = ROOT / ".bench-venv"
VENV_VARIABLE = "ZORYX_BENCH_VENV"
REEXEC_VARIABLE = "ZORYX_BENCH_REEXEC"  # set on the re-run, so a broken install cannot loop
STAMP = ".zoryx-bench-installed"
ENTRY_POINT_GROUP = "zoryx.plugins"

__all__ = [
    "ensure_framework_plugins",
    "framework_plugins",
    "installed_zoryx_plugins",
    "missing_framework_plugins",
]


def framework_plugins() -> dict[str, Path]:
    """Distribution name -> source folder of every framework plugin in ``plugins/``."""
    found: dict[str, Path] = {}
    for project in sorted(PLUGINS_DIR.glob("zoryx-*/pyproject.toml")):
        with project.open("rb") as handle:
            name = str(tomllib.load(handle)["project"]["name"])
        found[name] = project.parent
    return found


def missing_framework_plugins() -> list[str]:
    """Framework plugins this interpreter cannot import as installed distributions."""
    missing = []
    for name in framework_plugins():
        try:
            metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
    return missing


def installed_zoryx_plugins() -> list[str]:
    """Names of every ``zoryx.plugins`` entry point installed in this interpreter."""
    return sorted({ep.name for ep in metadata.entry_points(group=ENTRY_POINT_GROUP)})


def venv_folder() -> Path:
    return Path(os.environ.get(VENV_VARIABLE) or DEFAULT_VENV).absolute()


def install_command(python: Path | str) -> list[str]:
    """The pip command that installs the core and every framework plugin (editable)."""
    command = [str(python), "-m", "pip", "install", "--quiet", "-e", f"{ROOT}[testing,postgresql]"]
    for folder in framework_plugins().values():
        command += ["-e", str(folder)]
    return command


def _stale(venv: Path) -> bool:
    stamp = venv / STAMP
    if not stamp.exists():
        return True
    folders = [ROOT, *framework_plugins().values()]
    projects = [folder / "pyproject.toml" for folder in folders]
    return any(p.stat().st_mtime > stamp.stat().st_mtime for p in projects)


def prepare_venv(venv: Path) -> Path:
    """Creates or refreshes the benchmark environment; returns its interpreter."""
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"setting up the benchmark environment {venv} (once)", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        # Never committed: the folder says so itself (no change to the repository's .gitignore).
        (venv / ".gitignore").write_text("*\n", encoding="utf-8")
    if _stale(venv):
        print(
            f"installing zoryx-core and {', '.join(framework_plugins())} into {venv}",
            file=sys.stderr,
            flush=True,
        )
        subprocess.run(install_command(python), check=True)
        (venv / STAMP).touch()
    return python


def ensure_framework_plugins(script: str, argv: list[str], *, use_bench_venv: bool = True) -> None:
    """Returns when every framework plugin is installed here; otherwise re-runs ``script`` with
    ``argv`` in the benchmark environment (set up on first use), or exits with one line saying
    what is missing and how to install it."""
    missing = missing_framework_plugins()
    venv = venv_folder()
    if Path(sys.prefix).resolve() == venv.resolve() and (missing or _stale(venv)):
        prepare_venv(venv)  # this is the benchmark environment: bring it up to date in place
        missing = missing_framework_plugins()
    if not missing:
        compile_sources()
        return
    if not use_bench_venv or os.environ.get(REEXEC_VARIABLE):
        command = " ".join(install_command(Path(sys.executable).name))
        sys.exit(
            f"{Path(script).name}: framework plugins not installed in {sys.prefix}: {', '.join(missing)}; "
            f"install them with: {command}"
        )
    python = prepare_venv(venv)
    os.environ[REEXEC_VARIABLE] = "1"
    sys.stdout.flush()
    os.execv(python, [str(python), str(Path(script).resolve()), *argv])


def source_folders() -> list[Path]:
    """The packages installed editable from this repository: the core's and the plugins'."""
    folders = [ROOT / "zoryx_core", ROOT / "marketplace_client"]
    folders += [src for folder in framework_plugins().values() if (src := folder / "src").is_dir()]
    return folders


def compile_sources() -> None:
    """Byte-compile the repository's packages for this interpreter, as ``pip install`` does for a
    wheel's modules; files whose bytecode is up to date are left alone.

    Editable installs get their bytecode when first imported, but not where
    ``PYTHONDONTWRITEBYTECODE`` is set (this development machine sets it): every Zoryx start would
    then compile ~75 modules from source (~80-100 ms of CPU) that a deployment never compiles,
    while discord.py's modules were compiled when pip installed them.
    """
    import compileall

    for folder in source_folders():
        compileall.compile_dir(folder, quiet=1, workers=1)


def bytecode_note() -> str:
    """One line for the benchmark headers: how the code under test gets its bytecode."""
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        return (
            "bytecode: the repository's packages compiled ahead (PYTHONDONTWRITEBYTECODE is set here), "
            "as pip compiles an installed wheel"
        )
    return "bytecode: written by Python on first import, as for any installed package"


# -- what was in force ------------------------------------------------------------------------------
REPORTED_SETTINGS = (
    "cooldowns.default_rate",
    "cooldowns.default_per",
    "intents.members",
    "intents.presences",
    "intents.message_content",
    "startup.guild_ready_timeout",
    "storage.backend",
)
COOLDOWN_USES = 3  # the default cooldown's uses per period (cooldowns.default_rate)


def default_settings() -> dict[str, object]:
    """Zoryx's defaults for the settings a benchmark reports, with the storage backend chosen in
    this environment (``ZORYX_STORAGE__BACKEND=postgresql``) as the bots will see it."""
    from zoryx_core.settings import CORE_SETTINGS

    defaults = {s.key: s.default for s in CORE_SETTINGS}
    chosen = {key: defaults[key] for key in REPORTED_SETTINGS}
    chosen["storage.backend"] = os.environ.get("ZORYX_STORAGE__BACKEND", chosen["storage.backend"])
    return chosen


def describe_settings(settings: dict[str, object]) -> str:
    """One line: the default cooldown and the intents."""
    rate, per = settings["cooldowns.default_rate"], settings["cooldowns.default_per"]
    cooldown = f"{rate} uses per {per} s per user" if rate else "off"
    intents = ", ".join(
        f"{name} {'on' if settings[f'intents.{name}'] else 'off'}"
        for name in ("members", "presences", "message_content")
    )
    storage = settings.get("storage.backend", "sqlite")
    return f"default cooldown {cooldown}; intents: {intents}; storage {storage}"


def senders_needed(pings: int, uses: int = COOLDOWN_USES) -> int:
    """Users to rotate so that none sends more than ``uses - 1`` pings in a run: the default
    per-user cooldown (``uses`` per period) is then never reached, however fast the run goes."""
    return max(1, -(-pings // max(1, uses - 1)))


def settings_in_force(bot: object) -> dict[str, object]:
    """The reported settings as a running ZoryxBot has them (its ``settings`` mapping)."""
    settings = getattr(bot, "settings")  # noqa: B009 (duck-typed: this module must not import the bot)
    return {key: settings[key] for key in REPORTED_SETTINGS}
