"""Message text as Discord shows it, for the terminal: bold, italics, underline, strikethrough,
inline code and code blocks, quotes and headings; user, channel and role mentions by name; and
``<t:...>`` timestamps in each of Discord's styles."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from rich.text import Text

__all__ = ["MentionNames", "discord_text", "format_timestamp"]

_TOKEN = re.compile(
    r"(?P<code>`[^`\n]+`)"
    r"|(?P<bold>\*\*(?=\S)(?:[^*]|\*(?!\*))+?\*\*)"
    r"|(?P<underline>__(?=\S)(?:[^_]|_(?!_))+?__)"
    r"|(?P<strike>~~(?=\S).+?~~)"
    r"|(?P<italic>\*(?=\S)[^*\n]+?\*|(?<!\w)_(?=\S)[^_\n]+?_(?!\w))"
    r"|(?P<user><@!?(?P<user_id>\d+)>)"
    r"|(?P<channel><#(?P<channel_id>\d+)>)"
    r"|(?P<role><@&(?P<role_id>\d+)>)"
    r"|(?P<time><t:(?P<seconds>-?\d+)(?::(?P<style>[tTdDfFR]))?>)"
)
_BLOCK = re.compile(r"```(?:[\w+-]*\n)?(.*?)```", re.S)
_MENTION_STYLE = "bold #c9cdfb on #3c4270"


@dataclass(frozen=True)
class MentionNames:
    """Names to show mentions with; an id not found is shown as Discord does for unknown ones."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)
    roles: Mapping[str, str] = field(default_factory=dict)


def format_timestamp(seconds: int, style: str | None, *, now: dt.datetime | None = None) -> str:
    """``<t:seconds:style>`` as Discord renders it (in UTC here)."""
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    if style == "t":
        return moment.strftime("%H:%M")
    if style == "T":
        return moment.strftime("%H:%M:%S")
    if style == "d":
        return moment.strftime("%d/%m/%Y")
    if style == "D":
        return moment.strftime("%-d %B %Y")
    if style == "F":
        return moment.strftime("%A, %-d %B %Y %H:%M")
    if style == "R":
        return _relative(moment, now or dt.datetime.now(dt.UTC))
    return moment.strftime("%-d %B %Y %H:%M")  # "f", the default


_UNITS = (("year", 31_536_000), ("month", 2_592_000), ("day", 86_400), ("hour", 3600), ("minute", 60))


def _relative(moment: dt.datetime, now: dt.datetime) -> str:
    delta = (moment - now).total_seconds()
    size = abs(delta)
    unit, count = next(((u, int(size // n)) for u, n in _UNITS if size >= n), ("second", int(size)))
    words = f"{count} {unit}{'' if count == 1 else 's'}"
    return f"in {words}" if delta > 0 else f"{words} ago"


def discord_text(content: str, names: MentionNames | None = None, *, now: dt.datetime | None = None) -> Text:
    """``content`` with Discord's markdown turned into terminal styles."""
    names = names or MentionNames()
    text = Text()
    position = 0
    for block in _BLOCK.finditer(content):
        _lines(text, content[position : block.start()], names, now)
        text.append(block.group(1).strip("\n"), style="on #2b2d31")
        position = block.end()
    _lines(text, content[position:], names, now)
    return text


def _lines(text: Text, part: str, names: MentionNames, now: dt.datetime | None) -> None:
    for index, line in enumerate(part.split("\n")):
        if index:
            text.append("\n")
        style = ""
        if line.startswith(("> ", ">>> ")):
            text.append("▎ ", style="#4e5058")
            line = line.split(" ", 1)[1]
        elif heading := re.match(r"^(#{1,3}) (.*)$", line):
            line, style = heading.group(2), "bold underline" if len(heading.group(1)) == 1 else "bold"
        elif line.startswith("-# "):
            line, style = line[3:], "dim"
        _inline(text, line, style, names, now)


def _inline(text: Text, line: str, base: str, names: MentionNames, now: dt.datetime | None) -> None:
    position = 0
    for match in _TOKEN.finditer(line):
        text.append(line[position : match.start()], style=base)
        text.append(*_token(match, base, names, now))
        position = match.end()
    text.append(line[position:], style=base)


def _token(match: re.Match[str], base: str, names: MentionNames, now: dt.datetime | None) -> tuple[str, str]:
    kind = match.lastgroup
    value = match.group(0)
    styled: dict[str, Callable[[], tuple[str, str]]] = {
        "code": lambda: (value[1:-1], "#e3e5e8 on #2b2d31"),
        "bold": lambda: (value[2:-2], f"{base} bold"),
        "underline": lambda: (value[2:-2], f"{base} underline"),
        "strike": lambda: (value[2:-2], f"{base} strike"),
        "italic": lambda: (value[1:-1], f"{base} italic"),
    }
    if kind in styled:
        return styled[kind]()
    if match.group("user_id"):
        return "@" + names.users.get(match.group("user_id"), "unknown-user"), _MENTION_STYLE
    if match.group("channel_id"):
        return "#" + names.channels.get(match.group("channel_id"), "unknown"), _MENTION_STYLE
    if match.group("role_id"):
        return "@" + names.roles.get(match.group("role_id"), "unknown-role"), _MENTION_STYLE
    seconds = int(match.group("seconds"))
    return format_timestamp(seconds, match.group("style"), now=now), "on #3c3f45"
