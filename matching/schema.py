"""The JSON Schema of the round document, exported from the domain model.

The schema is derived from the dataclasses in `matching.model` (field names,
types, enums, which fields have defaults), with the document's own spellings
for rankings and selectors. It describes shape only; references and ranges
between fields are `matching.validate`'s work.

    python -m matching.schema > docs/round.schema.json
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from enum import StrEnum
from typing import Any

from matching import model
from matching.readers import MAX_ID_LENGTH

ID: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": MAX_ID_LENGTH}
RANKING: dict[str, Any] = {
    "type": "array",
    "description": "most preferred first; an inner list is a tie group",
    "items": {"anyOf": [ID, {"type": "array", "items": ID, "minItems": 1}]},
}
ID_FIELDS = {
    "id",
    "host",
    "mentor",
    "college",
    "institute",
    "source",
    "target",
    "candidate",
    "placement",
}
# Fields the document may leave out although the model has no default for them.
OPTIONAL_IN_DOCUMENT = {("Round", "seed"), ("Round", "links"), ("Round", "organizations")}


def _selector(attributes: tuple[str, ...]) -> dict[str, Any]:
    value = {"anyOf": [ID, {"type": "array", "items": ID}]}
    return {
        "type": "object",
        "properties": {a: value for a in attributes},
        "additionalProperties": False,
    }


def _type(hint: Any, name: str) -> dict[str, Any]:
    if hint is model.Ranking:
        return RANKING
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in args if a is not type(None)]
        return _type(inner, name)
    if origin is tuple:
        return {"type": "array", "items": _type(args[0], name)}
    if isinstance(hint, type) and issubclass(hint, StrEnum):
        return {"enum": [m.value for m in hint]}
    if dataclasses.is_dataclass(hint):
        return _object(hint)  # type: ignore[arg-type]
    if hint is str:
        return ID if name in ID_FIELDS else {"type": "string"}
    if hint is bool:
        return {"type": "boolean"}
    if hint is int:
        return {"type": "integer", "minimum": 1 if name == "staff" else 0}
    if hint is float:
        return {"type": "number", "exclusiveMinimum": 0, "maximum": 1}
    raise TypeError(f"no schema for {hint!r} ({name})")


def _object(cls: type) -> dict[str, Any]:
    hints = typing.get_type_hints(cls, vars(model))
    properties: dict[str, Any] = {}
    required: list[str] = []
    for f in dataclasses.fields(cls):
        if not f.init:  # worked out, not written (Round.columns)
            continue
        if cls is model.Policy and f.name in ("placements", "candidates"):
            attrs = (
                model.PLACEMENT_ATTRIBUTES
                if f.name == "placements"
                else (model.CANDIDATE_ATTRIBUTES)
            )
            properties[f.name] = _selector(attrs)
            continue
        properties[f.name] = _type(hints[f.name], f.name)
        no_default = f.default is dataclasses.MISSING and (f.default_factory is dataclasses.MISSING)
        if no_default and (cls.__name__, f.name) not in OPTIONAL_IN_DOCUMENT:
            required.append(f.name)
    if cls in (model.Placement, model.Mentor):
        properties["capacity"] = {"type": "integer", "minimum": 1}
    return {"type": "object", "properties": properties, "required": required}


def round_schema() -> dict[str, Any]:
    schema = _object(model.Round)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "round.schema.json",
        "title": "Placement round",
        **schema,
    }


if __name__ == "__main__":
    print(json.dumps(round_schema(), indent=1, ensure_ascii=False))
