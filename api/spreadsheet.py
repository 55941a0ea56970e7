"""A college's candidate file, as people keep it: CSV in UTF-8 (with or
without a BOM) or GBK/GB 18030 (what Excel writes on a Chinese Windows), or an
Excel workbook (.xlsx); headers in English or Chinese. One column table maps
both to the candidate's fields.

`read_candidates` returns the rows it understood and what it made of the
header, or raises `FileProblem` naming what it could not read: nothing is
stored from a file with any problem.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from api import i18n
from api.i18n import _
from api.words import TERMS
from matching.model import CandidateKind, Level, PlacementKind, Tier


@dataclass(frozen=True)
class Table:
    """One kind of file: field → the headers that name it (case and spaces
    ignored; the first two are the template's headers in English and in
    Chinese), the fields whose cells are words of a vocabulary, an example row."""

    name: tuple[str, str]  # the sheet's name in English and in Chinese
    columns: dict[str, tuple[str, ...]]
    vocabularies: dict[str, type[StrEnum]]
    example: dict[str, tuple[str, str]]

    def value(self, field: str, text: str) -> str:
        """A cell as the field's value: a vocabulary's word (中文 or English) as its code."""
        vocabulary = self.vocabularies.get(field)
        return _words(vocabulary).get(text.casefold(), text) if vocabulary else text


CANDIDATES = Table(
    ("candidates", "候选人"),
    {
        "id": ("id", "候选人编号", "编号"),
        "name": ("name", "姓名", "项目名称"),
        "number": ("number", "学号", "工号", "学号/工号", "学号／工号"),
        "kind": ("kind", "类型", "候选人类型"),
        "tier": ("tier", "人才层次", "层次"),
        "level": ("level", "学历层次", "学段"),
        "skills": ("skills", "技能"),
        "preferences": ("preferences", "志愿（按顺序）", "志愿", "意向岗位"),
    },
    {"kind": CandidateKind, "tier": Tier, "level": Level},
    {
        "id": ("s-0001", "s-0001"),
        "name": ("Zhang Wei", "张伟"),
        "number": ("2027010001", "2027010001"),
        "kind": ("student", "学生"),
        "tier": ("", ""),
        "level": ("higher vocational", "高职"),
        "skills": ("fermentation; quality control", "发酵；质量控制"),
        "preferences": ("pl-0001; pl-0002", "pl-0001；pl-0002"),
    },
)
PLACEMENTS = Table(
    ("placements", "岗位"),
    {
        "id": ("id", "岗位编号", "编号"),
        "title": ("title", "岗位名称"),
        "kind": ("kind", "岗位类型", "类型"),
        "capacity": ("capacity", "名额", "人数"),
        "staff": ("staff", "岗位在岗职工数", "在岗职工数"),
        "skills": ("skills", "期望技能", "技能"),
        "min_level": ("min_level", "最低学历层次"),
        "required_skills": ("required_skills", "必备技能"),
        "mentor": ("mentor", "导师"),
        "description": ("description", "岗位说明", "说明"),
    },
    {"kind": PlacementKind, "min_level": Level},
    {
        "id": ("pl-0001", "pl-0001"),
        "title": ("Fermentation intern", "发酵工艺实习生"),
        "kind": ("internship", "实习岗位"),
        "capacity": ("2", "2"),
        "staff": ("12", "12"),
        "skills": ("fermentation", "发酵"),
        "min_level": ("", ""),
        "required_skills": ("", ""),
        "mentor": ("", ""),
        "description": ("Works on the 5 t fermenters", "参与 5 吨发酵罐的日常工艺操作"),
    },
)


@cache
def _words(vocabulary: type[StrEnum]) -> dict[str, str]:
    """Each value of `vocabulary` under every name a file may give it: its code,
    its English word and its Chinese word (the catalog's, api/words.TERMS)."""
    out = {}
    for value in vocabulary:
        english = TERMS.get(value.value, value.value)
        for name in (value.value, english, i18n.translate("zh_CN", english)):
            out[name.casefold()] = value.value
    return out


# Columns never read, whatever else the file holds (the Personal Information
# Protection Law: placement needs no national ID, phone or home address)
NEVER_READ = re.compile(
    r"身份证|证件|手机|电话|住址|家庭地址|id.?card|national.?id|phone|address", re.I
)
MAX_ROWS = 20_000
_SEPARATORS = re.compile(r"[;；,，、\s]+")


class FileProblem(Exception):
    """The file cannot be read as such a list; the message says why."""


@dataclass(frozen=True)
class Sheet:
    columns: dict[str, str]  # header as written → field
    ignored: tuple[str, ...]  # headers that name no field
    rows: list[dict[str, str]]  # field → cell text, one per data row
    refused: tuple[str, ...] = ()  # personal data placement does not need: never read


def read(data: bytes, filename: str, table: Table) -> Sheet:
    """The rows of a file of `table`'s kind, each cell as its field's text."""
    cells = _xlsx(data) if data[:4] == b"PK\x03\x04" else _csv(data)
    cells = [row for row in cells if any(cell.strip() for cell in row)]
    if not cells:
        raise FileProblem(_("%(file)s is empty", file=filename))
    header, body = cells[0], cells[1:]
    fields = {
        alias.casefold().replace(" ", ""): field
        for field, aliases in table.columns.items()
        for alias in aliases
    }
    columns: dict[str, str] = {}
    ignored, refused = [], []
    for name in header:
        field = fields.get(name.strip().casefold().replace(" ", ""))
        if NEVER_READ.search(name):
            refused.append(name)
        elif field is None:
            ignored.append(name)
        elif field in columns.values():
            raise FileProblem(
                _("two columns name %(field)s: %(name)s and another", field=field, name=name)
            )
        else:
            columns[name] = field
    ids = [f for f in ("id", "number") if f in table.columns]
    if not set(ids) & set(columns.values()):
        raise FileProblem(
            _(
                "no id column in %(file)s (headers: %(headers)s; one of %(names)s is needed)",
                file=filename,
                headers=", ".join(header),
                names=", ".join(alias for f in ids for alias in table.columns[f]),
            )
        )
    if not body:
        raise FileProblem(_("%(file)s has a header but no rows", file=filename))
    if len(body) > MAX_ROWS:
        raise FileProblem(
            _(
                "%(file)s has %(n)s rows; at most %(max)s at once",
                file=filename,
                n=len(body),
                max=MAX_ROWS,
            )
        )
    rows = []
    for line in body:
        row = {}
        for name, cell in zip(header, line, strict=False):
            if name in columns:
                row[columns[name]] = table.value(columns[name], cell.strip())
        if "id" not in columns.values():
            row["id"] = row.get("number", "")  # a file of 学号 only: the number is the id
        rows.append(row)
    return Sheet(columns, tuple(ignored), rows, tuple(refused))


def template(table: Table, locale: str) -> bytes:
    """An empty workbook of `table`'s kind, its headers in `locale`'s
    language, with one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    which = 1 if locale.startswith("zh") else 0
    sheet.title = table.name[which]
    sheet.append([names[which] for names in table.columns.values()])
    sheet.append([table.example[field][which] for field in table.columns])
    for n in range(1, len(table.columns) + 1):
        sheet.column_dimensions[chr(64 + n)].width = 18
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def split_list(text: str) -> list[str]:
    """A cell listing ids or skills: separated by spaces, commas or semicolons
    (full-width ones and 、 too)."""
    return [x for x in _SEPARATORS.split(text) if x]


def _csv(data: bytes) -> list[list[str]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileProblem(_("the file is neither UTF-8 nor GBK text"))
    try:
        return list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise FileProblem(_("not a CSV file: %(why)s", why=exc)) from None


def _xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise FileProblem(_("not an Excel workbook (.xlsx): %(why)s", why=exc)) from None
    sheet = book.worksheets[0]
    out = [
        ["" if v is None else _cell(v) for v in row] for row in sheet.iter_rows(values_only=True)
    ]
    book.close()
    return out


def _cell(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a student number Excel stored as a number
    return str(value)
