"""Pure mappings between the Bot API's shapes and ours: message length, chat kinds, command words."""

from __future__ import annotations

#: Telegram's limit on a message's text after entity parsing (Bot API sendMessage).
MAX_TEXT = 4096


def is_group(chat_id: int) -> bool:
    """Groups, supergroups and channels have negative ids; private chats positive ones."""
    return chat_id < 0


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends where possible."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        cut = limit if cut <= 0 else cut
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        parts.append(rest)
    return parts


def command_word(text: str, bot_username: str = "") -> tuple[str, str]:
    """``("/halt@theo_bot  spread too wide")`` → ``("halt", "spread too wide")``; ``("", text)`` if no command.

    A command addressed to another bot in a group (``/status@other_bot``) is not ours: ``("", text)``.
    """
    text = text.strip()
    if not text.startswith("/"):
        return "", text
    head, _, rest = text.partition(" ")
    word, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return "", text
    return word.lower(), rest.strip()
