"""What the investor is told about people: queue place, nobody available, who joined, back to the bot."""

from __future__ import annotations

from datetime import datetime

BACK_TO_BOT = "/back_to_bot"  # the button that leaves the queue; also what Rasa is sent on return

_TEXTS = {
    "en": {
        "queued": "Connecting you to a person. You are number {position} in the queue{estimate}. "
        "You can keep typing: your messages go to our staff.",
        "estimate": " (about {minutes} min)",
        "ticket": "No one from our team is available right now{reopens}. Leave your message here and "
        "we will reply in this conversation as soon as we can.",
        "reopens": " (we are back {when})",
        "joined": "{name} has joined the conversation.",
        "transferred": "You are being passed to another team. Please stay with us.",
        "transferred_within": "You are being passed to a colleague. Please stay with us.",
        "released": "You are back in the queue; the next available person will answer.",
        "returned": "{name} has handed you back to the assistant.",
        "left_queue": "You have left the queue.",
        "back_button": "Back to the assistant",
    },
    "zh": {
        "queued": "正在为您转接人工客服。您目前排在第 {position} 位{estimate}。您可以继续输入，消息会转给客服人员。",
        "estimate": "（预计约 {minutes} 分钟）",
        "ticket": "当前暂无客服在线{reopens}。请在此留言，我们会尽快在本对话中回复您。",
        "reopens": "（{when} 恢复服务）",
        "joined": "{name} 已加入对话。",
        "transferred": "正在为您转接其他团队，请稍候。",
        "transferred_within": "正在为您转接其他客服，请稍候。",
        "released": "您已回到排队中，下一位空闲的客服会为您解答。",
        "returned": "{name} 已将您转回智能助手。",
        "left_queue": "您已退出排队。",
        "back_button": "返回智能助手",
    },
}


def text(key: str, lang: str, **values: object) -> str:
    return _TEXTS["zh" if lang == "zh" else "en"][key].format(**values)


def queued(lang: str, position: int, estimate_seconds: int | None) -> str:
    estimate = ""
    if estimate_seconds is not None:
        estimate = text("estimate", lang, minutes=max(1, round(estimate_seconds / 60)))
    return text("queued", lang, position=max(1, position), estimate=estimate)


def ticket(lang: str, reopens: datetime | None) -> str:
    when = ""
    if reopens is not None:
        when = text("reopens", lang, when=reopens.strftime("%a %H:%M" if lang != "zh" else "%m-%d %H:%M"))
    return text("ticket", lang, reopens=when)


def back_button(lang: str) -> list[dict[str, str]]:
    return [{"title": text("back_button", lang), "payload": BACK_TO_BOT}]
