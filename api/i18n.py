"""The language of the pages: Simplified Chinese first, English second.

One message catalog (Babel, gettext): the English text in the code and the
templates is the message id, `api/locale/zh_CN/LC_MESSAGES/messages.po` its
Chinese (the project's words for each thing in `api/locale/glossary.md`).
`make messages` extracts and updates the catalog, `make compile-messages`
writes the `.mo` the service reads; tests/unit/test_messages.py fails when a
message has no Chinese or the compiled catalog is stale.

The locale of a request: the `lang` cookie (set by the switch on every page),
else the browser's Accept-Language, else zh_CN. It lives in a context
variable for the request, so the templates, the page code and the number
formats all read the same one.
"""

from __future__ import annotations

import contextvars
import re
from functools import cache
from pathlib import Path
from typing import Any

from babel import negotiate_locale, numbers
from babel.support import NullTranslations, Translations

LOCALES = ("zh_CN", "en")
DEFAULT = "zh_CN"
COOKIE = "lang"
CATALOG = Path(__file__).parent / "locale"
# the names each language is offered under by the switch, in its own language
NAMES = {"zh_CN": "中文", "en": "English"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("locale", default=DEFAULT)


def choose(cookie: str | None, accept_language: str | None) -> str:
    """The request's locale: the cookie, else the best of Accept-Language, else zh_CN."""
    if cookie in LOCALES:
        return cookie
    wanted = []
    for part in (accept_language or "").split(","):
        tag, _, q = part.strip().partition(";q=")
        if not tag:
            continue
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            continue
        wanted.append((weight, tag.strip().replace("-", "_")))
    wanted.sort(key=lambda x: -x[0])
    found = negotiate_locale([t for _, t in wanted], LOCALES, aliases={"zh": "zh_CN", "en": "en"})
    return found or DEFAULT


def use(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT)


def current() -> str:
    return _current.get()


@cache
def _translations(locale: str) -> NullTranslations:
    if locale == "en":
        return NullTranslations()
    return Translations.load(CATALOG, [locale])


def gettext(message: str, **params: Any) -> str:
    """`message` in the request's language, `%(name)s` placeholders filled."""
    text = _translations(current()).gettext(message)
    return text % params if params else text


def translate(locale: str, message: str) -> str:
    """`message` in `locale`, whatever the request's language."""
    return _translations(locale).gettext(message)


def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
    text = _translations(current()).ngettext(singular, plural, n)
    return text % {"num": n, **params}


_ = gettext


def N_(message: str) -> str:
    """A message kept as data and translated where it is shown (pybabel extracts it)."""
    return message


def number(value: object, digits: int = 2) -> str:
    """A count or figure as the locale writes it (grouping, decimal sign);
    anything else (nothing, a template's undefined) as its text."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    if isinstance(value, int):
        return numbers.format_decimal(value, locale=current())
    pattern = "#,##0." + "#" * digits if digits else "#,##0"
    return numbers.format_decimal(value, format=pattern, locale=current())


def percent(value: object, digits: int = 1) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "" if value is None else str(value)
    pattern = "#,##0." + "0" * digits + "%" if digits else "#,##0%"
    return numbers.format_percent(value, format=pattern, locale=current())


def install(env: Any) -> None:
    """Give a Jinja2 environment the catalog and the locale's formats."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(gettext, ngettext, newstyle=True)
    env.filters["num"] = number
    env.filters["pct"] = percent
    env.globals["locale"] = current
    env.globals["LANGUAGES"] = NAMES


# ------------------------------------------------------------------ problems
#
# The API's problems are English (field and id kept, as the contract's CLI
# and every client reads them). The pages show them in the reader's language:
# each message the engine or the service writes is a pattern below, its
# `{}` the id or figure it names; the field path is translated part by part.

_PROBLEMS: tuple[str, ...] = (
    N_("unknown placement {}"),
    N_("unknown candidate {}"),
    N_("unknown mentor {}"),
    N_("unknown organization {}"),
    N_("unknown college {}"),
    N_("unknown institute {}"),
    N_("missing"),
    N_("duplicate id"),
    N_("must be a non-empty id"),
    N_("must be a string id, got {}"),
    N_("must be a string, got {}"),
    N_("must be a list, got {}"),
    N_("must be an object, got {}"),
    N_("must be an integer ≥ {}, got {}"),
    N_("must be an integer ≤ {}, got {}"),
    N_("unknown value {} (allowed: {})"),
    N_("id longer than {} characters"),
    N_("id {} contains a control or surrogate character"),
    N_("empty tie group"),
    N_("tie groups cannot be nested"),
    N_("{} appears more than once"),
    N_("ranks {}, whom its mentor {} does not rank"),
    N_("a floor needs min"),
    N_("a ceiling needs max"),
    N_("floor min {} is above ceiling max {}"),
    N_("Field required"),
    N_("{} has not applied to {}"),
    N_("the request is not valid"),
    N_("placement {} is not valid"),
    N_("candidate {} is not valid"),
    N_("the round is not valid"),
    N_("round {}"),
    N_("run {}"),
    N_("placement {}"),
    N_("candidate {}"),
    N_("organization {}"),
    N_("round {} already exists"),
    N_("a token named {} is in use"),
    N_("round {} has no published result yet"),
    N_("round {} is {}; {} needs it {}"),
    N_("run {} is {}"),
    N_("{} was changed by a concurrent edit"),
    N_("{} changed since that ETag: it is now {}"),
    N_("not allowed for the {} role"),
    N_("number {} is also candidate {}'s"),
    N_("longer than {} characters"),
    N_("contains a control or surrogate character"),
    N_("the candidates are not valid"),
    N_("candidate {} changed since version {}: now {}"),
    N_("placement {} changed since version {}: now {}"),
    N_("the placements are not valid"),
    N_("only an enterprise has staff, not a {}"),
    N_("ids beginning {} are the generated ceilings'"),
    N_("must be true or false, got {}"),
    # the request schema's own words (pydantic), the commonest first
    N_("Input should be greater than or equal to {}"),
    N_("Input should be less than or equal to {}"),
    N_("Input should be a valid integer, unable to parse string as an integer"),
    N_("Input should be a valid integer"),
    N_("String should have at most {} characters"),
    N_("String should have at least {} character"),
    N_("String should match pattern {}"),
    N_("List should have at most {} items after validation, not {}"),
    N_("Input should be {}"),
)
_FIELDS = {
    "candidates": N_("candidates"),
    "placements": N_("placements"),
    "preferences": N_("preferences"),
    "ranking": N_("ranking"),
    "capacity": N_("seats"),
    "kind": N_("kind"),
    "tier": N_("tier"),
    "level": N_("level"),
    "skills": N_("skills"),
    "mentor": N_("mentor"),
    "host": N_("host"),
    "college": N_("college"),
    "institute": N_("institute"),
    "name": N_("name"),
    "number": N_("number"),
    "title": N_("title"),
    "staff": N_("staff on post"),
    "intern_ratio": N_("intern-ratio rule"),
    "id": N_("id"),
    "park": N_("park"),
    "body": N_("request"),
}


@cache
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    out = []
    for template in _PROBLEMS:
        parts = [re.escape(p) for p in template.split("{}")]
        out.append((re.compile("^" + "(.+?)".join(parts) + "$", re.S), template))
    return tuple(out)


def problem(message: str) -> str:
    """One of the API's field messages in the reader's language (as written
    when no pattern knows it)."""
    for pattern, template in _patterns():
        found = pattern.match(message)
        if found:
            text = gettext(template)
            for value in found.groups():
                text = text.replace("{}", value, 1)
            return text
    return message


def field(path: str) -> str:
    """A field path (`candidates['s1'].preferences`, `body.capacity`) read aloud."""
    words = []
    for name, key in re.findall(r"([A-Za-z_]+)|\[([^\]]*)\]", path):
        if name:
            words.append(gettext(_FIELDS[name]) if name in _FIELDS else name)
        elif key:
            words.append(key.strip("'\""))
    return " ".join(words) if words else path
