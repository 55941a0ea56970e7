"""Documents: JSON and CSV bundles (folder and zip) describe the same round."""

from __future__ import annotations

import hashlib
import io as _io
import zipfile
from pathlib import Path

import orjson
import pytest

from matching import InvalidRound, io, load

ROUNDS = Path(__file__).parents[2] / "fixtures" / "rounds"


@pytest.mark.parametrize(
    "name", ["contract-example.json", "spa-aim-2007.json", "changzhou-2027.json"]
)
def test_csv_bundle_round_trip(tmp_path: Path, name: str) -> None:
    original = load(ROUNDS / name)
    io.write_csv_bundle(original, tmp_path)
    assert load(tmp_path) == original
    assert io.round_hash(load(tmp_path)) == io.round_hash(original)


@pytest.mark.parametrize("name", sorted(p.name for p in ROUNDS.glob("*.json")))
def test_round_hash_is_that_of_the_canonical_document(name: str) -> None:
    """Hashed in pieces (changzhou-2027's 5,000 candidates in five), the hash
    is that of the whole canonical document, keys sorted, as ever: the stored
    snapshots and runs are keyed by it."""
    r = load(ROUNDS / name)
    whole = orjson.dumps(io.round_to_dict(r), option=orjson.OPT_SORT_KEYS)
    assert io.round_hash(r) == hashlib.sha256(whole).hexdigest()


def test_zipped_bundle(tmp_path: Path) -> None:
    original = load(ROUNDS / "contract-example.json")
    io.write_csv_bundle(original, tmp_path / "b")
    archive = tmp_path / "round.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in (tmp_path / "b").iterdir():
            z.write(f, f"round/{f.name}")
    assert load(archive) == original


def test_json_round_trip() -> None:
    original = load(ROUNDS / "contract-example.json")
    from matching import parse_round

    assert parse_round(io.parse_json(io.dumps(io.round_to_dict(original)))) == original


def test_bad_csv_names_the_file_and_row(tmp_path: Path) -> None:
    io.write_csv_bundle(load(ROUNDS / "contract-example.json"), tmp_path)
    prefs = (tmp_path / "preferences.csv").read_text().replace("s1,1,p1", "s1,first,p1")
    (tmp_path / "preferences.csv").write_text(prefs)
    with pytest.raises(InvalidRound) as caught:
        load(tmp_path)
    # line 1 is the header, line 2 is rp7's preference
    assert str(caught.value) == "preferences.csv line 3: rank must be an integer, got 'first'"


def test_bad_capacity_in_csv_goes_through_validation(tmp_path: Path) -> None:
    io.write_csv_bundle(load(ROUNDS / "contract-example.json"), tmp_path)
    text = (
        (tmp_path / "placements.csv")
        .read_text()
        .replace("p2,ent-qianhong,internship,1", "p2,ent-qianhong,internship,many")
    )
    (tmp_path / "placements.csv").write_text(text)
    with pytest.raises(InvalidRound) as caught:
        load(tmp_path)
    assert str(caught.value) == "placements['p2'].capacity: must be an integer ≥ 1, got 'many'"


def test_missing_file_and_not_a_zip(tmp_path: Path) -> None:
    io.write_csv_bundle(load(ROUNDS / "contract-example.json"), tmp_path)
    (tmp_path / "candidates.csv").unlink()
    with pytest.raises(InvalidRound, match=r"candidates\.csv: missing from the bundle"):
        load(tmp_path)
    junk = tmp_path / "x.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InvalidRound, match="bundle: not a zip archive"):
        load(junk)
    empty = _io.BytesIO()
    zipfile.ZipFile(empty, "w").close()
    with pytest.raises(InvalidRound, match=r"round\.csv: missing from the bundle"):
        io.read_csv_zip(empty.getvalue())
