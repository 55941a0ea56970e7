"""The pages' Chinese: every message of the code and the templates has a
zh_CN translation, the catalog holds nothing the code no longer says, the
compiled catalog is the source's, placeholders survive translation, every
vocabulary value has its word, and the project glossary's words are the
catalog's."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from api import i18n, words
from api.vocabulary import Role, RoundState, RunStatus
from matching import charts
from matching.base import MechanismName, SolverStatus
from matching.model import CandidateKind, Level, OrgKind, PlacementKind, PolicyKind, Stability, Tier

ROOT = Path(__file__).parents[2]
CATALOG = ROOT / "api" / "locale" / "zh_CN" / "LC_MESSAGES"
FIX = "make messages, translate in api/locale/zh_CN/LC_MESSAGES/messages.po, make compile-messages"


def _extracted() -> set[str]:
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords={"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)},
    )
    out = set()
    for _file, _line, message, _comments, _context in found:
        out.update(message if isinstance(message, tuple) else (message,))
    return out - {""}


@pytest.fixture(scope="module")
def po():  # type: ignore[no-untyped-def]
    with open(CATALOG / "messages.po", "rb") as f:
        return read_po(f, locale="zh_CN")


def test_every_message_has_its_chinese(po) -> None:  # type: ignore[no-untyped-def]
    said = _extracted()
    assert len(said) > 200  # the extraction itself works
    known = {m.id: m for m in po if m.id}
    missing = sorted(said - set(known))
    assert not missing, f"not in the catalog ({FIX}): {missing[:10]}"
    untranslated = sorted(m for m in said if not known[m].string or known[m].fuzzy)
    assert not untranslated, f"no Chinese yet ({FIX}): {untranslated[:10]}"
    stale = sorted(set(known) - said)
    assert not stale, f"the code no longer says these ({FIX}): {stale[:10]}"


def test_placeholders_survive_translation(po) -> None:  # type: ignore[no-untyped-def]
    for m in po:
        if not m.id:
            continue
        assert sorted(re.findall(r"%\(\w+\)s", m.id)) == sorted(
            re.findall(r"%\(\w+\)s", m.string)
        ), m.id
        assert m.id.count("{}") == m.string.count("{}"), m.id
        # a bare % is a formatting directive to gettext (the page fails): %% only
        assert not re.search(r"%(?!\(\w+\)s|%)", m.string.replace("%%", "")), m.id


def test_the_compiled_catalog_is_the_source(po) -> None:  # type: ignore[no-untyped-def]
    with open(CATALOG / "messages.mo", "rb") as f:
        compiled = Translations(f)
    for m in po:
        if m.id:
            assert compiled.gettext(m.id) == m.string, f"stale messages.mo: {FIX}"


def test_chinese_is_the_default_and_english_a_choice() -> None:
    assert i18n.choose(None, None) == "zh_CN"
    assert i18n.choose(None, "en-US,en;q=0.9") == "en"
    assert i18n.choose(None, "zh-CN,zh;q=0.9,en;q=0.8") == "zh_CN"
    assert i18n.choose(None, "fr-FR, de;q=0.5") == "zh_CN"
    assert i18n.choose("en", "zh-CN") == "en"  # the switch's cookie wins
    assert i18n.choose("xx", "en") == "en"  # a forged cookie is ignored
    i18n.use("zh_CN")
    assert i18n.gettext("Sign in") == "登录"
    assert i18n.number(12345) == "12,345" and i18n.percent(0.875) == "87.5%"
    i18n.use("en")
    assert i18n.gettext("Sign in") == "Sign in"
    i18n.use("zh_CN")


@pytest.mark.parametrize(
    "vocabulary",
    [
        RoundState,
        RunStatus,
        Role,
        OrgKind,
        PlacementKind,
        CandidateKind,
        Level,
        Tier,
        MechanismName,
        PolicyKind,
        Stability,
    ],
)
def test_every_vocabulary_value_has_its_word(vocabulary: type[StrEnum]) -> None:
    i18n.use("zh_CN")
    for value in vocabulary:
        assert value.value in words.TERMS, f"{vocabulary.__name__}.{value.name} has no word"
        assert words.term(value.value) != words.TERMS[value.value]  # and it is Chinese


def test_every_solver_status_has_its_word() -> None:
    for value in SolverStatus:
        assert value.value in words.STATUSES


def test_every_chart_label_is_translated() -> None:
    """The charts ask `say` for each English word they write: each has its Chinese."""
    asked: list[str] = []

    def say(text: str) -> str:
        asked.append(text)
        return text

    metrics = {
        "rank_histogram": {"1": 3},
        "unmatched": 1,
        "matched": 3,
        "mean_rank": 1.0,
        "welfare": 2.0,
        **{key: {"g": {"matched": 1, "total": 2, "rate": 0.5}} for key in charts.GROUPS},
    }
    result = {"metrics": metrics}
    charts.result_charts(result, say)
    charts.compare_bars([("a", result), ("b", result)], say)
    charts.consortium_graph([{"id": "x", "kind": "park"}], [], say)
    english = {t for t in asked if t not in ("g", "park")}
    assert english <= set(words.CHART_WORDS)
    i18n.use("zh_CN")
    assert all(i18n.gettext(t) != t for t in english)


def test_the_glossary_is_the_catalogs() -> None:
    """A glossary row naming one English word and one Chinese word: where the
    catalog translates that word alone, it is that Chinese."""
    rows = re.findall(
        r"^\| ([^|/]+?) \| ([^|/]+?) \|", (ROOT / "api/locale/glossary.md").read_text(), re.M
    )
    i18n.use("zh_CN")
    checked = 0
    for english, chinese in rows:
        if i18n.gettext(english) != english:
            assert i18n.gettext(english) == chinese, english
            checked += 1
    assert checked >= 10
