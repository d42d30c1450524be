"""Drawing Discord messages and modals in a terminal with rich.

Works on the message JSON Discord sends (and the emulator stores and serves): content, embeds,
components (action rows, buttons, selects, and the layout components of Components V2),
attachments, reactions, stickers. Every interactive part shows what the sandbox needs to act on
it: a button reads ``[Label] (id: custom_id)``, a select lists its options as ``label=value``.
:func:`message_to_text` gives the same rendering as plain text, for transcripts and tests.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from typing import Any

from rich.color import Color
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from ..testing.models import Message
from .markdown import MentionNames, discord_text

__all__ = [
    "BUTTON_STYLES",
    "message_payload",
    "message_to_text",
    "modal_to_text",
    "render_message",
    "render_modal",
    "renderable_to_text",
]

#: Button style number -> (name shown, rich style of the label).
BUTTON_STYLES: dict[int, tuple[str, str]] = {
    1: ("primary", "bold white on #5865f2"),
    2: ("secondary", "bold white on #4e5058"),
    3: ("success", "bold white on #248046"),
    4: ("danger", "bold white on #da373c"),
    5: ("link", "underline #00a8fc"),
    6: ("premium", "bold white on #b473f5"),
}
_SELECT_KINDS = {
    3: "select",
    5: "user select",
    6: "role select",
    7: "mentionable select",
    8: "channel select",
}
_BOT_TAG = "bold white on #5865f2"
_DIM = "dim"
_DEFAULT_BAR = "#4e5058"
_EPHEMERAL = 64
_LOADING = 128


class _Bar:
    """``body`` with a coloured bar down its left edge, as Discord draws embeds and containers."""

    def __init__(self, body: RenderableType, style: Style) -> None:
        self.body = body
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = max(1, options.max_width - 2)
        bar = Segment("▌ ", self.style)
        for line in console.render_lines(self.body, options.update(width=width), pad=False):
            yield bar
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        inner = Measurement.get(console, options.update(width=max(1, options.max_width - 2)), self.body)
        return Measurement(inner.minimum + 2, inner.maximum + 2)


class _Row:
    """An action row: its controls side by side, moved whole to the next line when they do not fit."""

    def __init__(self, controls: list[Text]) -> None:
        self.controls = controls

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        line = Text()
        for control in self.controls:
            if line and line.cell_len + 2 + control.cell_len > options.max_width:
                yield line
                line = Text()
            if line:
                line.append("  ")
            line.append_text(control)
        if line:
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widths = [c.cell_len for c in self.controls] or [0]
        return Measurement(max(widths), sum(widths) + 2 * (len(widths) - 1))


def message_payload(message: Message) -> dict[str, Any]:
    """The parts of a stored :class:`Message` that rendering needs, in Discord's JSON shape.

    Without the emulator's state the author's name is unknown; pass ``author_name`` to
    :func:`render_message`, or render ``emulator.state.message_payload(message, viewer_id=...)``.
    """
    by_app = message.application_id is not None or message.webhook_id is not None
    data: dict[str, Any] = {
        "id": str(message.id),
        "channel_id": str(message.channel_id),
        "author": {"id": str(message.author_id), "username": f"user {message.author_id}", "bot": by_app},
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
        "attachments": [a.payload() for a in message.attachments],
        "flags": message.flags,
        "edited_timestamp": message.edited_timestamp,
        "reactions": [
            {"emoji": message.reaction_emojis.get(key, {"name": key}), "count": len(users)}
            for key, users in message.reactions.items()
            if users
        ],
    }
    if message.message_reference is not None:
        data["message_reference"] = message.message_reference
    if message.interaction_metadata is not None:
        data["interaction_metadata"] = message.interaction_metadata
    if message.sticker_ids:
        data["sticker_items"] = [{"id": str(s), "name": f"sticker {s}"} for s in message.sticker_ids]
    return data


def render_message(
    message: Message | Mapping[str, Any],
    *,
    author_name: str | None = None,
    edited: bool = False,
    ephemeral: bool = False,
    names: MentionNames | None = None,
) -> RenderableType:
    """A message as a rich renderable: a header line (author, markers), then its body indented.

    ``edited`` and ``ephemeral`` force those markers; they also show when the message's own
    ``edited_timestamp`` or ephemeral flag says so. The content is shown with Discord's markdown;
    ``names`` gives the names of mentioned channels and roles (users come with the message).
    """
    data: Mapping[str, Any] = message_payload(message) if isinstance(message, Message) else message
    flags = int(data.get("flags") or 0)
    author = data.get("author") or {}
    name = author_name or author.get("global_name") or author.get("username") or "unknown user"
    lines: list[RenderableType] = []

    metadata = data.get("interaction_metadata") or {}
    if metadata.get("name"):
        who = (metadata.get("user") or {}).get("username") or "someone"
        lines.append(Text(f"╭─ {who} used /{metadata['name']}", style=_DIM))
    elif (data.get("message_reference") or {}).get("message_id") and int(data.get("type") or 0) == 19:
        lines.append(Text(f"╭─ reply to message {data['message_reference']['message_id']}", style=_DIM))

    header = Text(name, style="bold cyan" if author.get("bot") else "bold")
    if author.get("bot"):
        header.append(" ")
        header.append("[BOT]", style=_BOT_TAG)
    if edited or data.get("edited_timestamp"):
        header.append(" (edited)", style=_DIM)
    if ephemeral or flags & _EPHEMERAL:
        header.append(" (ephemeral: only you can see this)", style="italic #949cf7")
    lines.append(header)

    body: list[RenderableType] = []
    if flags & _LOADING:
        body.append(Text(f"⏳ {name} is thinking…", style="italic"))
    content = str(data.get("content") or "")
    if content:
        mentioned = {
            str(u.get("id")): u.get("global_name") or u.get("username") for u in data.get("mentions") or []
        }
        known = names or MentionNames()
        users = {**known.users, **{k: str(v) for k, v in mentioned.items() if v}}
        body.append(discord_text(content, MentionNames(users, known.channels, known.roles)))
    for embed in data.get("embeds") or []:
        body.append(_embed(embed))
    body.extend(_components(data.get("components") or []))
    for attachment in data.get("attachments") or []:
        size = _size(int(attachment.get("size") or 0))
        body.append(Text(f"📎 {attachment.get('filename', 'file')} ({size})"))
    for sticker in data.get("sticker_items") or []:
        body.append(Text(f"sticker: {sticker.get('name', 'sticker')}", style=_DIM))
    reactions = [r for r in data.get("reactions") or [] if int(r.get("count") or 0) > 0]
    if reactions:
        body.append(Text("  ".join(f"{_emoji(r.get('emoji'))} {r['count']}" for r in reactions)))
    if not body:
        body.append(Text("(empty message)", style=_DIM))
    lines.append(Padding(Group(*body), (0, 0, 0, 2)))
    return Group(*lines)


def render_modal(modal: Mapping[str, Any]) -> RenderableType:
    """A modal the bot opened: its title and id, then each field with its id and settings."""
    lines: list[RenderableType] = [
        Text.assemble(
            ("modal ", _DIM),
            (str(modal.get("title") or ""), "bold"),
            (f" (id: {modal.get('custom_id')})", _DIM),
        )
    ]
    for component in modal.get("components") or []:
        kind = component.get("type")
        if kind == 1:
            lines.extend(_modal_field(child, None, None) for child in component.get("components") or [])
        elif kind == 18:
            inner = component.get("component") or {}
            lines.append(_modal_field(inner, component.get("label"), component.get("description")))
        else:
            lines.extend(_components([component]))
    return _Bar(Group(*lines), Style(color="#5865f2"))


def renderable_to_text(renderable: RenderableType, *, width: int = 100) -> str:
    """Plain text of a renderable as a ``width``-column terminal would show it, without trailing spaces."""
    console = Console(
        file=io.StringIO(),
        width=width,
        record=True,
        color_system=None,
        force_terminal=False,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


def message_to_text(
    message: Message | Mapping[str, Any],
    *,
    author_name: str | None = None,
    edited: bool = False,
    ephemeral: bool = False,
    width: int = 100,
) -> str:
    """The plain text of :func:`render_message`."""
    return renderable_to_text(
        render_message(message, author_name=author_name, edited=edited, ephemeral=ephemeral), width=width
    )


def modal_to_text(modal: Mapping[str, Any], *, width: int = 100) -> str:
    """The plain text of :func:`render_modal`."""
    return renderable_to_text(render_modal(modal), width=width)


# -- embeds -----------------------------------------------------------------------------------------
def _embed(embed: Mapping[str, Any]) -> RenderableType:
    parts: list[RenderableType] = []
    author = embed.get("author") or {}
    if author.get("name"):
        parts.append(Text(str(author["name"]) + (f" <{author['url']}>" if author.get("url") else ""), "bold"))
    if embed.get("title"):
        title = Text(str(embed["title"]), style="bold underline" if embed.get("url") else "bold")
        if embed.get("url"):
            title.append(f" <{embed['url']}>", style=_DIM)
        parts.append(title)
    if embed.get("description"):
        parts.append(Text(str(embed["description"])))
    inline: list[Mapping[str, Any]] = []
    for field in embed.get("fields") or []:
        if field.get("inline"):
            inline.append(field)
            continue
        if inline:
            parts.append(_inline_fields(inline))
            inline = []
        parts.append(_field(field))
    if inline:
        parts.append(_inline_fields(inline))
    for key in ("image", "thumbnail", "video"):
        url = (embed.get(key) or {}).get("url")
        if url:
            parts.append(Text(f"{key}: {url}", style=_DIM))
    footer = [str((embed.get("footer") or {}).get("text") or "")]
    if embed.get("timestamp"):
        footer.append(_timestamp(str(embed["timestamp"])))
    if any(footer):
        parts.append(Text(" • ".join(f for f in footer if f), style=_DIM))
    if not parts:
        parts.append(Text("(empty embed)", style=_DIM))
    return _Bar(Group(*parts), _colour_style(embed.get("color")))


def _field(field: Mapping[str, Any]) -> Text:
    text = Text(str(field.get("name") or ""), style="bold")
    text.append("\n")
    text.append(str(field.get("value") or ""))
    return text


def _inline_fields(fields: list[Mapping[str, Any]]) -> Table:
    """Inline fields side by side, three to a row as Discord lays them out."""
    grid = Table.grid(padding=(0, 3))
    for _ in range(min(3, len(fields))):
        grid.add_column()
    for start in range(0, len(fields), 3):
        grid.add_row(*(_field(f) for f in fields[start : start + 3]))
    return grid


def _timestamp(value: str) -> str:
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _colour_style(colour: Any) -> Style:
    if isinstance(colour, int) and 0 < colour <= 0xFFFFFF:
        return Style(color=Color.from_rgb(colour >> 16, (colour >> 8) & 0xFF, colour & 0xFF))
    return Style(color=_DEFAULT_BAR)


# -- components -------------------------------------------------------------------------------------
def _components(components: Iterable[Mapping[str, Any]]) -> list[RenderableType]:
    out: list[RenderableType] = []
    for component in components:
        kind = component.get("type")
        if kind == 1:  # action row: its controls on one line
            out.append(_Row([_control(child) for child in component.get("components") or []]))
        elif kind == 9:  # section: text beside an accessory
            out.extend(_components(component.get("components") or []))
            if component.get("accessory"):
                out.append(Padding(_control(component["accessory"]), (0, 0, 0, 2)))
        elif kind == 10:
            out.append(Text(str(component.get("content") or "")))
        elif kind == 12:
            for item in component.get("items") or []:
                out.append(Text(f"image: {(item.get('media') or {}).get('url', '')}", style=_DIM))
        elif kind == 14:
            out.append(Text("─" * 24, style=_DIM))
        elif kind == 17:
            inner = _components(component.get("components") or [])
            out.append(
                _Bar(Group(*inner) if inner else Text(""), _colour_style(component.get("accent_color")))
            )
        else:
            out.append(_control(component))
    return out


def _control(component: Mapping[str, Any]) -> Text:
    """One interactive (or media) component on a single line."""
    kind = component.get("type")
    if kind == 2:
        return _button(component)
    if kind in _SELECT_KINDS:
        return _select(component)
    if kind == 11:
        return Text(f"thumbnail: {(component.get('media') or {}).get('url', '')}", style=_DIM)
    if kind == 13:
        return Text(f"file: {(component.get('file') or {}).get('url', '')}", style=_DIM)
    if kind == 4:
        return _modal_field(component, None, None)
    return Text(f"(component type {kind})", style=_DIM)


def _button(button: Mapping[str, Any]) -> Text:
    style_no = int(button.get("style") or 2)
    style_name, style = BUTTON_STYLES.get(style_no, (f"style {style_no}", ""))
    label = " ".join(p for p in (_emoji(button.get("emoji")), str(button.get("label") or "")) if p)
    disabled = bool(button.get("disabled"))
    text = Text("[", style=_DIM)
    text.append(label or "…", style=_DIM if disabled else style)
    text.append("]", style=_DIM)
    if style_no == 5:
        text.append(f" ↗ {button.get('url', '')}", style=_DIM)
    elif style_no == 6:
        text.append(f" (sku: {button.get('sku_id', '')})", style=_DIM)
    else:
        text.append(f" (id: {button.get('custom_id', '')})", style=_DIM)
    text.append(f" {style_name}" + (", disabled" if disabled else ""), style=_DIM)
    return text


def _select(select: Mapping[str, Any]) -> Text:
    kind = int(select.get("type") or 3)
    text = Text(f"▾ {_SELECT_KINDS[kind]}", style="bold")
    if select.get("placeholder"):
        text.append(f' "{select["placeholder"]}"')
    text.append(f" (id: {select.get('custom_id', '')})", style=_DIM)
    low, high = int(select.get("min_values", 1)), int(select.get("max_values", 1))
    if (low, high) != (1, 1):
        text.append(f" pick {low}-{high}", style=_DIM)
    if select.get("disabled"):
        text.append(" disabled", style=_DIM)
    options = select.get("options") or []
    if options:
        shown = []
        for option in options:
            label = " ".join(p for p in (_emoji(option.get("emoji")), str(option.get("label", ""))) if p)
            shown.append(
                f"{label}={option.get('value', '')}" + (" (default)" if option.get("default") else "")
            )
        text.append(" options: " + ", ".join(shown))
    defaults = select.get("default_values") or []
    if defaults:
        text.append(" defaults: " + ", ".join(f"{d.get('type')} {d.get('id')}" for d in defaults), style=_DIM)
    return text


def _modal_field(component: Mapping[str, Any], label: Any, description: Any) -> Text:
    if component.get("type") != 4:
        text = Text(f"{label}: " if label else "", style="bold")
        text.append_text(_control(component))
        return text
    text = Text(str(label or component.get("label") or "field"), style="bold")
    text.append(f" (id: {component.get('custom_id', '')})", style=_DIM)
    settings = ["paragraph" if component.get("style") == 2 else "short"]
    settings.append("required" if component.get("required", True) else "optional")
    low, high = component.get("min_length"), component.get("max_length")
    if low is not None or high is not None:
        settings.append(f"{low or 0}-{high or 4000} chars")
    text.append(" " + ", ".join(settings), style=_DIM)
    if description:
        text.append(f" — {description}", style=_DIM)
    if component.get("placeholder"):
        text.append(f' placeholder "{component["placeholder"]}"', style=_DIM)
    if component.get("value"):
        text.append(f' value "{component["value"]}"')
    return text


# -- small pieces -----------------------------------------------------------------------------------
def _emoji(emoji: Any) -> str:
    if not isinstance(emoji, Mapping):
        return str(emoji or "")
    name = str(emoji.get("name") or "")
    return f":{name}:" if emoji.get("id") else name


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
