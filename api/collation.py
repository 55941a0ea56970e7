"""The order in which names and titles sort: 拼音 order, as a person in
Changzhou expects and as Excel gives, not the order of the characters' code
points (丁, 付, 任, 万, 严; not 丁, 万, 严, 付, 任). The lists sort by keys
stored beside their texts (api.storage.sortkeys); the review and the pages'
choices sort by the same keys in memory.

A key is one token per character, and the tokens compare as the characters
should: digits, letters and other signs first (letters without case), then
汉字 by pinyin, tone and the character itself, so that a character's names
stay together; characters without a reading last. A character reads as the
first reading of pypinyin's table (one reading per character, as Excel's
order has: no phrases, which would cost 18 µs a name), except where that
reading is rarely the one meant (`READINGS`) and, in a person's name, where a
surname reads otherwise (`SURNAMES`: 曾 zeng, not ceng; 单 shan, not dan)."""

from __future__ import annotations

from typing import Any

# the first characters that decide the order: a longer text sorts by these,
# then by its id (and its key fits any index)
SIGNIFICANT = 64
LENGTH = SIGNIFICANT * 12  # the longest key

# characters whose first reading in the table is seldom the one in a name or title
READINGS = {"长": "chang2", "行": "xing2", "重": "zhong4", "厦": "xia4", "藏": "cang2"}
# surnames that read otherwise than the character mostly does
SURNAMES = {
    "曾": "zeng1",
    "单": "shan4",
    "解": "xie4",
    "区": "ou1",
    "查": "zha1",
    "仇": "qiu2",
    "朴": "piao2",
    "盖": "ge3",
    "缪": "miao4",
    "覃": "qin2",
    "尉": "yu4",
    "员": "yun4",
    "种": "chong2",
    "乐": "yue4",
    "翟": "zhai2",
    "召": "shao4",
    "秘": "bi4",
    "华": "hua4",
}


class _Tokens(dict[int, str]):
    """Each character's token by code point, worked out when first asked (a
    table for str.translate, which reads a whole text at C speed)."""

    def __missing__(self, point: int) -> str:
        ch = chr(point)
        reading = READINGS.get(ch) or _reading(ch)
        if reading is not None:
            token = f"2{reading}{ch} "
        elif not _is_han(ch):
            token = f"1{ch.lower()[:1] or ch} "
        else:
            token = f"3{ch} "
        self[point] = token
        return token


# A token ends in a space (lower than anything in a token), so that no token
# is the beginning of another.
_TOKENS = _Tokens()


def sort_key(text: str | None, *, person: bool = False) -> str | None:
    """The key `text` sorts by (None for None); `person`: a person's name,
    whose first character is a surname."""
    if text is None:
        return None
    head = text[:SIGNIFICANT]
    if person and head and head[0] in SURNAMES:
        return f"2{SURNAMES[head[0]]}{head[0]} " + head[1:].translate(_TOKENS)
    return head.translate(_TOKENS)


def _reading(ch: str) -> str | None:
    """The first reading of a 汉字 as letters and a tone number (ü as v, the
    neutral tone as 5)."""
    table, tone3 = _table()
    marked = table.get(ord(ch))
    if marked is None:
        return None
    return str(tone3(marked.split(",")[0], neutral_tone_with_five=True, v_to_u=False))


def _table() -> tuple[dict[int, str], Any]:
    # imported when first needed: pypinyin's package loads its phrase tables too
    from pypinyin.contrib.tone_convert import to_tone3
    from pypinyin.pinyin_dict import pinyin_dict

    return pinyin_dict, to_tone3


def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\U00020000" <= ch <= "\U0003134f"
