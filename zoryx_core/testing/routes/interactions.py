"""Interaction callbacks and the webhook routes for follow-ups and ``@original`` edits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import DiscordError, ErrorCode, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, read_body, snowflake
from ..interactions_state import CallbackType, InteractionRecord
from ..models import Message
from ..mutations import build_message, delete_message, post_message, update_message
from ..validation import validate_message_body
from .messages import apply_edit
from .webhooks import execute_route, is_real_webhook, webhook_message_route

if TYPE_CHECKING:
    from ..server import DiscordEmulator

routes = RouteSet()

EPHEMERAL = 64
LOADING = 128


def _metadata(emu: DiscordEmulator, record: InteractionRecord) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "user": emu.state.users[record.user_id].payload(),
        "authorizing_integration_owners": {"0": str(record.guild_id)}
        if record.guild_id
        else {"1": str(record.user_id)},
    }
    if record.type == 2:
        data["name"] = record.data.get("name", "")
        data["command_type"] = record.data.get("type", 1)
    return data


def _new_message(
    emu: DiscordEmulator,
    record: InteractionRecord,
    body: dict[str, Any],
    files: list[Any],
    *,
    extra_flags: int = 0,
) -> Message:
    channel = emu.state.channel(record.channel_id)
    message = build_message(
        emu,
        channel,
        emu.bot_user.id,
        body,
        files,
        webhook_id=emu.application_id,
        application_id=emu.application_id,
        interaction_metadata=_metadata(emu, record),
    )
    message.flags |= extra_flags
    message.type = 20 if record.type == 2 else 0  # CHAT_INPUT_COMMAND or DEFAULT
    return message


@routes.post("/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def callback(emu: DiscordEmulator, request: Request) -> Any:
    record = emu.interactions.for_callback(
        snowflake(request, "interaction_id"), request.match_info["interaction_token"]
    )
    if record.response_type is not None:
        raise DiscordError(
            400, ErrorCode.INTERACTION_ALREADY_ACKNOWLEDGED, "Interaction has already been acknowledged."
        )
    body, files = await read_body(request)
    kind = int(body.get("type") or 0)
    data = body.get("data") or {}
    message: Message | None = None
    if kind == CallbackType.CHANNEL_MESSAGE_WITH_SOURCE:
        validate_message_body(data, has_files=bool(files))
        message = post_message(emu, _new_message(emu, record, data, files))
    elif kind == CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        message = post_message(
            emu, _new_message(emu, record, {"flags": data.get("flags", 0)}, [], extra_flags=LOADING)
        )
    elif kind in (CallbackType.DEFERRED_UPDATE_MESSAGE, CallbackType.UPDATE_MESSAGE):
        if record.message_id is None:
            raise DiscordError(400, 40004, "Interaction has no message to update")
        message = emu.state.message(record.channel_id, record.message_id)
        if kind == CallbackType.UPDATE_MESSAGE:
            validate_message_body(data, has_files=bool(files), editing=True)
            apply_edit(emu, message, data, files)
            update_message(emu, message)
    elif kind == CallbackType.APPLICATION_COMMAND_AUTOCOMPLETE_RESULT:
        record.autocomplete_choices = list(data.get("choices") or [])
    elif kind == CallbackType.MODAL:
        _validate_modal(data)
        record.modal = data
    else:
        raise InvalidFormBody("type", "BASE_TYPE_CHOICES", "Value must be one of (1, 4, 5, 6, 7, 8, 9).")
    record.response_type = kind
    if message is not None:
        record.original_message_id = message.id
    record.responded.set()
    interaction: dict[str, Any] = {
        "id": str(record.id),
        "type": record.type,
        "response_message_loading": bool(message and message.flags & LOADING),
        "response_message_ephemeral": bool(message and message.ephemeral),
    }
    if message is not None:
        interaction["response_message_id"] = str(message.id)
    answer: dict[str, Any] = {"interaction": interaction}
    # Discord returns the resource only for callbacks that create or update a message.
    creates_or_updates = kind in (CallbackType.CHANNEL_MESSAGE_WITH_SOURCE, CallbackType.UPDATE_MESSAGE)
    if message is not None and creates_or_updates:
        rendered = emu.state.message_payload(message, viewer_id=emu.bot_user.id)
        answer["resource"] = {"type": kind, "message": rendered}
    return answer


def _validate_modal(data: dict[str, Any]) -> None:
    for key, limit in (("custom_id", 100), ("title", 45)):
        value = data.get(key)
        if not isinstance(value, str) or not value:
            raise InvalidFormBody(f"data.{key}", "BASE_TYPE_REQUIRED", "This field is required")
        if len(value) > limit:
            raise InvalidFormBody(
                f"data.{key}", "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length."
            )
    components = data.get("components") or []
    if not 1 <= len(components) <= 5:
        raise InvalidFormBody("data.components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")


def _webhook_record(emu: DiscordEmulator, request: Request) -> InteractionRecord:
    return emu.interactions.for_webhook(
        snowflake(request, "webhook_id"), request.match_info["webhook_token"], emu.application_id
    )


def _target(emu: DiscordEmulator, record: InteractionRecord, message_ref: str) -> Message:
    if message_ref == "@original":
        message_id = record.original_message_id
        if message_id is None and record.response_type in (
            CallbackType.DEFERRED_UPDATE_MESSAGE,
            CallbackType.UPDATE_MESSAGE,
        ):
            message_id = record.message_id
        if message_id is None:
            raise NotFound(ErrorCode.UNKNOWN_MESSAGE, "Message")
    else:
        message_id = int(message_ref)
        if message_id not in record.followup_ids and message_id not in (
            record.original_message_id,
            record.message_id,
        ):
            raise NotFound(ErrorCode.UNKNOWN_MESSAGE, "Message")
    return emu.state.message(record.channel_id, message_id)


def _render(emu: DiscordEmulator, message: Message) -> dict[str, Any]:
    return emu.state.message_payload(message, viewer_id=emu.bot_user.id)


@routes.post("/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def followup(emu: DiscordEmulator, request: Request) -> Any:
    if is_real_webhook(emu, request):
        return await execute_route(emu, request)
    record = _webhook_record(emu, request)
    if record.response_type is None:
        raise DiscordError(404, ErrorCode.UNKNOWN_WEBHOOK, "Unknown Webhook")
    body, files = await read_body(request)
    validate_message_body(body, has_files=bool(files))
    loading = _loading_original(emu, record)
    if loading is not None:
        # Discord: the first follow-up to a deferred response becomes that response, keeping the
        # ephemerality chosen when deferring (the follow-up's own flags are ignored).
        edit = {key: value for key, value in body.items() if key != "flags"}
        apply_edit(emu, loading, edit, files)
        loading.flags &= ~LOADING
        loading.edited_timestamp = None
        update_message(emu, loading)
        record.followup_ids.append(loading.id)
        record.followup_added.set()
        return _render(emu, loading)
    message = post_message(emu, _new_message(emu, record, body, files))
    record.followup_ids.append(message.id)
    record.followup_added.set()
    return _render(emu, message)


def _loading_original(emu: DiscordEmulator, record: InteractionRecord) -> Message | None:
    """The deferred response still showing its loading state, if this is the first follow-up."""
    if record.response_type != CallbackType.DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE:
        return None
    if record.original_message_id is None or record.followup_ids:
        return None
    channel_messages = emu.state.messages.get(record.channel_id)
    message = channel_messages.get(record.original_message_id) if channel_messages else None
    if message is None or not message.flags & LOADING:
        return None
    return message


async def _get(emu: DiscordEmulator, request: Request) -> Any:
    if is_real_webhook(emu, request) and "message_id" in request.match_info:
        return await webhook_message_route(emu, request)
    record = _webhook_record(emu, request)
    return _render(emu, _target(emu, record, request.match_info.get("message_id", "@original")))


async def _edit(emu: DiscordEmulator, request: Request) -> Any:
    if is_real_webhook(emu, request) and "message_id" in request.match_info:
        return await webhook_message_route(emu, request)
    record = _webhook_record(emu, request)
    message = _target(emu, record, request.match_info.get("message_id", "@original"))
    body, files = await read_body(request)
    validate_message_body(body, has_files=bool(files), editing=True)
    was_loading = bool(message.flags & LOADING)
    apply_edit(emu, message, body, files)
    message.flags &= ~LOADING
    if was_loading:
        message.edited_timestamp = None
    update_message(emu, message)
    record.followup_added.set()
    return _render(emu, message)


async def _delete(emu: DiscordEmulator, request: Request) -> Any:
    if is_real_webhook(emu, request) and "message_id" in request.match_info:
        return await webhook_message_route(emu, request)
    record = _webhook_record(emu, request)
    message = _target(emu, record, request.match_info.get("message_id", "@original"))
    delete_message(emu, message)
    return None


routes.get("/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)(_get)
routes.patch("/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)(_edit)
routes.delete("/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)(_delete)
routes.get("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)(_get)
routes.patch("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)(_edit)
routes.delete("/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)(_delete)
