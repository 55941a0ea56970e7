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

from api.i18n import _
from matching.model import CandidateKind, Level, Tier

# field → the headers that name it (case and spaces ignored); the first two
# are the template's headers in English and in Chinese
COLUMNS: dict[str, tuple[str, ...]] = {
    "id": ("id", "候选人编号", "编号"),
    "name": ("name", "姓名"),
    "number": ("number", "学号", "工号", "学号/工号"),
    "kind": ("kind", "类型", "候选人类型"),
    "tier": ("tier", "人才层次", "层次"),
    "level": ("level", "学历层次", "学段"),
    "skills": ("skills", "技能"),
    "preferences": ("preferences", "志愿（按顺序）", "志愿", "意向岗位"),
}
# the Chinese words of each vocabulary (../shared/glossary-zh.md), as a file may hold them
VALUES: dict[str, dict[str, str]] = {
    "kind": {"学生": CandidateKind.STUDENT, "学徒": CandidateKind.APPRENTICE,
             "科研项目": CandidateKind.PROJECT, "项目": CandidateKind.PROJECT},
    "tier": {"产业领军科技人才": Tier.LEADING_SCIENTIST, "拔尖创新人才": Tier.TOP_INNOVATIVE,
             "青年科技后备人才": Tier.YOUNG_RESERVE, "工程技术人才": Tier.ENGINEERING_TECHNICIAN},
    "level": {"中职": Level.SECONDARY_VOCATIONAL, "高职": Level.HIGHER_VOCATIONAL,
              "本科": Level.UNDERGRADUATE, "研究生": Level.POSTGRADUATE},
}  # fmt: skip
MAX_ROWS = 20_000
_SEPARATORS = re.compile(r"[;；,，、\s]+")


class FileProblem(Exception):
    """The file cannot be read as a candidate list; the message says why."""


@dataclass(frozen=True)
class Sheet:
    columns: dict[str, str]  # header as written → field
    ignored: tuple[str, ...]  # headers that name no field
    rows: list[dict[str, str]]  # field → cell text, one per data row


def read_candidates(data: bytes, filename: str) -> Sheet:
    table = _xlsx(data) if data[:4] == b"PK\x03\x04" else _csv(data)
    table = [row for row in table if any(cell.strip() for cell in row)]
    if not table:
        raise FileProblem(_("%(file)s is empty", file=filename))
    header, body = table[0], table[1:]
    fields = {alias.casefold(): field for field, aliases in COLUMNS.items() for alias in aliases}
    columns: dict[str, str] = {}
    ignored = []
    for name in header:
        field = fields.get(name.strip().casefold().replace(" ", ""))
        if field is None:
            ignored.append(name)
        elif field in columns.values():
            raise FileProblem(
                _("two columns name %(field)s: %(name)s and another", field=field, name=name)
            )
        else:
            columns[name] = field
    if "id" not in columns.values() and "number" not in columns.values():
        raise FileProblem(
            _(
                "no id column in %(file)s (headers: %(headers)s; one of %(names)s is needed)",
                file=filename,
                headers=", ".join(header),
                names=", ".join(COLUMNS["id"] + COLUMNS["number"]),
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
    for cells in body:
        row = {}
        for name, cell in zip(header, cells, strict=False):
            if name in columns:
                field = columns[name]
                text = cell.strip()
                row[field] = VALUES.get(field, {}).get(text, text)
        if "id" not in columns.values():
            row["id"] = row.get("number", "")  # a file of 学号 only: the number is the id
        rows.append(row)
    return Sheet(columns, tuple(ignored), rows)


def template(locale: str) -> bytes:
    """An empty candidate workbook with the headers in `locale`'s language
    and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    chinese = locale.startswith("zh")
    sheet.title = "候选人" if chinese else "candidates"
    sheet.append([names[1] if chinese else names[0] for names in COLUMNS.values()])
    example = {
        "id": "s-0001",
        "name": "张伟" if chinese else "Zhang Wei",
        "number": "2027010001",
        "kind": "学生" if chinese else "student",
        "tier": "",
        "level": "高职" if chinese else "higher_vocational",
        "skills": "发酵工艺；质量控制" if chinese else "fermentation; quality control",
        "preferences": "pl-0001；pl-0002",
    }
    sheet.append([example[field] for field in COLUMNS])
    for column in "ABCDEFGH":
        sheet.column_dimensions[column].width = 18
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
