"""One line per hot reload for the sandbox: what was reloaded and how long it took, or why the
new code was refused (file and line) while the previous version keeps serving."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from ..events import HotReloadResult

__all__ = ["reload_line"]

_DONE = {"load": "loaded", "reload": "reloaded", "unload": "unloaded"}


def reload_line(result: HotReloadResult) -> Text:
    """``↻ reloaded greet in 42 ms (greet.py)`` or ``✗ reload of greet failed: ... (kept ...)``."""
    files = ", ".join(Path(path).name for path in result.paths[:3])
    where = f" ({files})" if files else ""
    took = f"{result.duration * 1000:.0f} ms"
    if result.ok:
        return Text(f"↻ {_DONE[result.action]} {result.plugin} in {took}{where}", style="cyan")
    kept = "; the previous version keeps serving" if result.action == "reload" else ""
    return Text(
        f"✗ {result.action} of {result.plugin} failed after {took}{where}: {result.error}{kept}", style="red"
    )
