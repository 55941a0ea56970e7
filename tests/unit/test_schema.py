"""The committed JSON Schema is the one the model exports, and every document the
engine accepts fits it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given

from matching.schema import round_schema
from tests.strategies import rounds

ROOT = Path(__file__).parents[2]
SCHEMA = json.loads((ROOT / "docs" / "round.schema.json").read_text())


def test_committed_schema_is_current() -> None:
    assert round_schema() == SCHEMA, "run: python -m matching.schema > docs/round.schema.json"


@pytest.mark.parametrize(
    "path", sorted((ROOT / "fixtures" / "rounds").glob("*.json")), ids=lambda p: p.name
)
def test_fixtures_fit_the_schema(path: Path) -> None:
    jsonschema.validate(json.loads(path.read_text()), SCHEMA)


@given(rounds(mentors=True, policies=True))
def test_generated_rounds_fit_the_schema(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, SCHEMA)


def test_schema_rejects_a_bad_kind() -> None:
    doc = json.loads((ROOT / "fixtures" / "rounds" / "contract-example.json").read_text())
    doc["candidates"][0]["kind"] = "teacher"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, SCHEMA)
