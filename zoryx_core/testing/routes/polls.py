"""Polls: made from a message's ``poll``, voted on by the driver, voters listed, ended early."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..access import require_channel_permission
from ..errors import DiscordError, ErrorCode, Forbidden, InvalidFormBody, NotFound
from ..http_utils import Request, RouteSet, snowflake
from ..models import Message
from ..mutations import build_message, publish_message, update_message
from ..permissions import P

if TYPE_CHECKING:
    from ..server import DiscordEmulator

__all__ = ["end_poll", "make_poll", "routes", "vote"]

routes = RouteSet()

MAX_ANSWERS = 10


def make_poll(raw: Any) -> dict[str, Any]:
    """A create-message ``poll`` checked as Discord does, with answer ids, expiry and ``is_finalized``."""
    if not isinstance(raw, dict):
        raise InvalidFormBody("poll", "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
    question = raw.get("question") or {}
    text = question.get("text") if isinstance(question, dict) else None
    if not isinstance(text, str) or not 1 <= len(text) <= 300:
        raise InvalidFormBody(
            "poll.question.text", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 300 in length."
        )
    answers = raw.get("answers") or []
    if not 1 <= len(answers) <= MAX_ANSWERS:
        raise InvalidFormBody(
            "poll.answers", "BASE_TYPE_BAD_LENGTH", f"Must be between 1 and {MAX_ANSWERS} in length."
        )
    numbered = []
    for index, answer in enumerate(answers, start=1):
        media = (answer or {}).get("poll_media") or {}
        answer_text = media.get("text")
        if not isinstance(answer_text, str) or not 1 <= len(answer_text) <= 55:
            raise InvalidFormBody(
                f"poll.answers.{index - 1}.poll_media.text",
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 55 in length.",
            )
        shown: dict[str, Any] = {"text": answer_text}
        if media.get("emoji"):
            shown["emoji"] = media["emoji"]
        numbered.append({"answer_id": index, "poll_media": shown})
    hours = raw.get("duration", 24)
    if isinstance(hours, float) and hours.is_integer():
        hours = int(hours)  # discord.py sends whole hours as a float
    if isinstance(hours, bool) or not isinstance(hours, int) or not 1 <= hours <= 768:
        raise InvalidFormBody("poll.duration", "NUMBER_TYPE_MAX", "int value should be between 1 and 768")
    expiry = dt.datetime.now(dt.UTC) + dt.timedelta(hours=hours)
    return {
        "question": {"text": text},
        "answers": numbered,
        "expiry": expiry.isoformat(),
        "allow_multiselect": bool(raw.get("allow_multiselect", False)),
        "layout_type": int(raw.get("layout_type") or 1),
        "is_finalized": False,
    }


def _emit_vote(emu: DiscordEmulator, event: str, message: Message, user_id: int, answer_id: int) -> None:
    data: dict[str, Any] = {
        "user_id": str(user_id),
        "channel_id": str(message.channel_id),
        "message_id": str(message.id),
        "answer_id": answer_id,
    }
    if message.guild_id is not None:
        data["guild_id"] = str(message.guild_id)
    emu.dispatch(event, data, guild_id=message.guild_id)


def vote(emu: DiscordEmulator, message: Message, user_id: int, answer_ids: list[int]) -> None:
    """Sets a user's vote to ``answer_ids`` (empty: withdraws it); MESSAGE_POLL_VOTE_ADD / _REMOVE
    for each answer that changed, as Discord sends them."""
    poll = message.poll
    if poll is None:
        raise ValueError(f"message {message.id} has no poll")
    if poll["is_finalized"]:
        raise ValueError("the poll has ended")
    valid = {a["answer_id"] for a in poll["answers"]}
    wanted = list(dict.fromkeys(answer_ids))
    if not set(wanted) <= valid:
        raise ValueError(
            f"answers {sorted(set(wanted) - valid)} are not in the poll (answers: {sorted(valid)})"
        )
    if len(wanted) > 1 and not poll["allow_multiselect"]:
        raise ValueError("the poll allows one answer only")
    votes = message.poll_votes if message.poll_votes is not None else {}
    message.poll_votes = votes
    for answer_id in sorted(valid):
        voters = votes.setdefault(answer_id, [])
        if user_id in voters and answer_id not in wanted:
            voters.remove(user_id)
            _emit_vote(emu, "MESSAGE_POLL_VOTE_REMOVE", message, user_id, answer_id)
        elif user_id not in voters and answer_id in wanted:
            voters.append(user_id)
            _emit_vote(emu, "MESSAGE_POLL_VOTE_ADD", message, user_id, answer_id)


def end_poll(emu: DiscordEmulator, message: Message) -> None:
    """Finalizes a poll: MESSAGE_UPDATE with the final results and Discord's poll result message."""
    poll = message.poll
    assert poll is not None
    poll["is_finalized"] = True
    poll["expiry"] = dt.datetime.now(dt.UTC).isoformat()
    update_message(emu, message)
    votes = message.poll_votes or {}
    counts = {a["answer_id"]: len(votes.get(a["answer_id"], [])) for a in poll["answers"]}
    total = sum(counts.values())
    fields = [
        {"name": "poll_question_text", "value": poll["question"]["text"], "inline": False},
        {"name": "total_votes", "value": str(total), "inline": False},
    ]
    top = max(counts.values(), default=0)
    winners = [a for a in poll["answers"] if top and counts[a["answer_id"]] == top]
    if len(winners) == 1:
        fields += [
            {"name": "victor_answer_id", "value": str(winners[0]["answer_id"]), "inline": False},
            {"name": "victor_answer_text", "value": winners[0]["poll_media"]["text"], "inline": False},
            {"name": "victor_answer_votes", "value": str(top), "inline": False},
        ]
    channel = emu.state.channels[message.channel_id]
    result = build_message(
        emu, channel, message.author_id, {"embeds": [{"type": "poll_result", "fields": fields}]}
    )
    result.type = 46  # POLL_RESULT
    result.message_reference = {
        "type": 0,
        "channel_id": str(message.channel_id),
        "message_id": str(message.id),
        **({"guild_id": str(message.guild_id)} if message.guild_id is not None else {}),
    }
    publish_message(emu, result)


def _poll_message(emu: DiscordEmulator, request: Request) -> Message:
    channel = emu.state.channel(snowflake(request, "channel_id"))
    require_channel_permission(emu, channel, P.VIEW_CHANNEL | P.READ_MESSAGE_HISTORY)
    message = emu.state.message(channel.id, snowflake(request, "message_id"))
    if message.poll is None:
        raise DiscordError(400, 520000, "Poll does not exist")
    return message


@routes.get("/channels/{channel_id}/polls/{message_id}/answers/{answer_id}")
async def voters(emu: DiscordEmulator, request: Request) -> Any:
    message = _poll_message(emu, request)
    assert message.poll is not None
    answer_id = int(request.match_info["answer_id"])
    if answer_id not in {a["answer_id"] for a in message.poll["answers"]}:
        raise NotFound(ErrorCode.GENERAL, "Answer")
    after = int(request.query.get("after", 0))
    limit = int(request.query.get("limit", 25))
    if not 1 <= limit <= 100:
        raise InvalidFormBody("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100")
    users = sorted(u for u in (message.poll_votes or {}).get(answer_id, []) if u > after)[:limit]
    return {"users": [emu.state.users[u].payload() for u in users]}


@routes.post("/channels/{channel_id}/polls/{message_id}/expire")
async def expire(emu: DiscordEmulator, request: Request) -> Any:
    message = _poll_message(emu, request)
    assert message.poll is not None
    if message.author_id != emu.bot_user.id:
        raise Forbidden("Cannot expire a poll authored by another user", ErrorCode.CANNOT_EDIT_OTHERS_MESSAGE)
    if message.poll["is_finalized"]:
        raise DiscordError(400, 520001, "Poll has already ended")
    end_poll(emu, message)
    return emu.state.message_payload(message, viewer_id=emu.bot_user.id)
