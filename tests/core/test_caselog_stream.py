"""The streamed case log reader decodes exactly what json.load does, at any chunk size."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from console.core import caselog_stream, export
from console.core.caselog_stream import CaseLogSyntaxError, StreamedArray, read_case_log
from console.core.export import Selection
from console.core.store import Store
from tests.conftest import msg


def materialized(data: dict[str, Any]) -> dict[str, Any]:
    return {k: list(v) if isinstance(v, StreamedArray) else v for k, v in data.items()}


@pytest.mark.parametrize("chunk", [1, 7, 64, 1 << 16])
def test_a_real_export_reads_back_as_json_load_reads_it(
        store: Store, tmp_path: Path, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    texts = ["plain", "ünïcödé and 東京 🙏🏽", 'quotes " and \\ backslash', "x" * 5000, "12345"]
    store.ingest([msg(f"@c{i}@x.social", t) for i, t in enumerate(texts)])
    path = tmp_path / "log.json"
    export.export(store, Selection(), "json", path)
    monkeypatch.setattr(caselog_stream, "CHUNK", chunk)
    data = read_case_log(path)
    assert isinstance(data["cases"], StreamedArray) and len(data["cases"]) == len(texts)
    assert materialized(data) == json.loads(path.read_text(encoding="utf-8"))
    assert list(data["cases"]) == list(data["cases"])  # every pass reads the same cases


@pytest.mark.parametrize(("text", "problem"), [
    ('{"cases": [{"id": 1}, ', "Expecting"),
    ('{"cases": [1 2]}', "expected ']' but found '2'"),
    ('{"a": 1} trailing', "extra data"),
    ('{"a": 1', "expected '}'"),
    ("", "Expecting value"),
])
def test_broken_files_are_refused_with_where(tmp_path: Path, text: str, problem: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseLogSyntaxError, match=problem):
        read_case_log(path)


@pytest.mark.parametrize(("text", "expected"), [
    ('{"cases": 3, "version": 12345678901234567890}',
     {"cases": 3, "version": 12345678901234567890}),
    ('[1, 2]', {"": [1, 2]}),
    ('{}', {}),
])
def test_other_shapes_come_back_for_the_validator_to_refuse(
        tmp_path: Path, text: str, expected: dict[str, Any],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(caselog_stream, "CHUNK", 3)  # numbers cut across chunks
    path = tmp_path / "other.json"
    path.write_text(text, encoding="utf-8")
    assert read_case_log(path) == expected
