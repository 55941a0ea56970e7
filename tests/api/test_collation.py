"""The sort keys of names and titles (api.collation): 拼音 order, and
keys that compare as their characters do."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from api.collation import LENGTH, SIGNIFICANT, sort_key


def _sorted(texts: list[str], *, person: bool = False) -> list[str]:
    return sorted(texts, key=lambda x: sort_key(x, person=person) or "")


def test_chinese_sorts_by_pinyin_not_by_code_point() -> None:
    # code-point order would be 丁, 万, 严, 付, 任
    assert _sorted(["严明", "万里", "丁一", "任伟", "付强"]) == [
        "丁一",
        "付强",
        "任伟",
        "万里",
        "严明",
    ]
    # lü after lu (ü as v), and a syllable before its longer neighbour (zhan, zhang)
    assert _sorted(["吕布", "卢明", "章程", "战士"]) == ["卢明", "吕布", "战士", "章程"]


def test_a_shorter_name_comes_before_its_continuation_and_letters_before_characters() -> None:
    assert _sorted(["常州大学", "常州", "Changzhou", "123"]) == [
        "123",
        "Changzhou",
        "常州",
        "常州大学",
    ]
    assert _sorted(["abc", "ABD", "Abb"]) == ["Abb", "abc", "ABD"]  # case does not count


def test_one_character_s_names_stay_together() -> None:
    # 张 and 章 both read zhang1: every 张 before every 章, not interleaved
    assert _sorted(["章一", "张二", "章三", "张四"]) == ["张二", "张四", "章三", "章一"]


def test_a_surname_reads_as_a_surname_and_a_word_as_a_word() -> None:
    people = ["曾国", "蔡明", "单丽", "沙僧", "严明"]
    assert _sorted(people, person=True) == ["蔡明", "沙僧", "单丽", "严明", "曾国"]
    titles = ["单克隆抗体纯化", "发酵工艺", "长三角研发中心", "常州研发中心"]
    # 单 dan in a title; 长 chang (not zhang), before 常 of the same reading
    assert _sorted(titles) == ["常州研发中心", "长三角研发中心", "单克隆抗体纯化", "发酵工艺"]


def test_no_text_no_key() -> None:
    assert sort_key(None) is None
    assert sort_key("") == ""


HAN = st.characters(min_codepoint=0x3400, max_codepoint=0x9FFF)


@given(st.text(max_size=300) | st.text(HAN, max_size=300))
def test_a_key_fits_its_column(text: str) -> None:
    key = sort_key(text, person=True)
    assert key is not None and len(key) <= LENGTH
    assert len(key.encode()) <= 2704  # PostgreSQL's largest index entry


@given(st.lists(st.text(alphabet="丁付任万严张章曾单常长吕卢abAB1 ·", max_size=8), min_size=2))
def test_keys_compare_as_their_characters_do(texts: list[str]) -> None:
    """Each character's key is a token that is the start of no other token, so
    two texts compare as the sequences of their characters' keys."""

    def tokens(text: str) -> list[str]:
        return [sort_key(ch) or "" for ch in text[:SIGNIFICANT]]

    assert _sorted(texts) == sorted(texts, key=tokens)
