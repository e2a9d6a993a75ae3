"""Read a case log without holding it: the cases are decoded one at a time, on each pass.

A case log is one JSON object whose ``cases`` array is written one case per line
(``export.write_json``).  ``read_case_log`` decodes the small members at once (accounts,
links, the summary) and gives ``contacts`` and ``cases`` as ``StreamedArray``s: each
iteration reads the file again and decodes one element at a time, so importing 100,000
cases needs the memory of one case plus what the import keeps, not of the whole file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 16
_WS = " \t\n\r"


class CaseLogSyntaxError(ValueError):
    """The file is not valid JSON (or not a JSON object) where it was read."""


class _Reader:
    """An incremental JSON reader over a text file: whole values, one after the other."""

    def __init__(self, fh: IO[str]) -> None:
        self.fh = fh
        self.buf = ""
        self.pos = 0
        self.eof = False
        self.decoder = json.JSONDecoder()

    def _more(self, size: int | None = None) -> bool:
        if self.eof:
            return False
        chunk = self.fh.read(size or CHUNK)
        if not chunk:
            self.eof = True
            return False
        if self.pos > CHUNK:  # drop what was read: the buffer stays about one value long
            self.buf = self.buf[self.pos:]
            self.pos = 0
        self.buf += chunk
        return True

    def peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            while self.pos < len(self.buf) and self.buf[self.pos] in _WS:
                self.pos += 1
            if self.pos < len(self.buf):
                return self.buf[self.pos]
            if not self._more():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise CaseLogSyntaxError(f"expected {char!r} but found {found or 'the end'!r}")
        self.pos += 1

    def value(self) -> Any:
        """The next whole JSON value."""
        self.peek()
        size = CHUNK
        while True:
            try:
                value, end = self.decoder.raw_decode(self.buf, self.pos)
            except json.JSONDecodeError as exc:
                # The value goes on past the buffer: read as much again as it holds, so a
                # big value (the contacts of 100,000 cases) is re-decoded a few times only.
                size = max(size, len(self.buf) - self.pos)
                if self._more(size):
                    continue
                raise CaseLogSyntaxError(str(exc)) from exc
            if end == len(self.buf) and self._more():
                continue  # a number may go on in the next chunk: decode it whole
            self.pos = end
            return value


def _members(reader: _Reader) -> Iterator[str]:
    """The keys of the top-level object, in order; the caller reads each value."""
    reader.expect("{")
    if reader.peek() == "}":
        reader.pos += 1
        return
    while True:
        key = reader.value()
        if not isinstance(key, str):
            raise CaseLogSyntaxError("an object key is not a string")
        reader.expect(":")
        yield key
        if reader.peek() == ",":
            reader.pos += 1
            continue
        reader.expect("}")
        return


def _array(reader: _Reader) -> Iterator[Any]:
    """The elements of the array that starts at the reader, one at a time."""
    reader.expect("[")
    if reader.peek() == "]":
        reader.pos += 1
        return
    while True:
        yield reader.value()
        if reader.peek() == ",":
            reader.pos += 1
            continue
        reader.expect("]")
        return


#: The arrays that grow with the log (a contact per customer, a case each): streamed.
STREAMED = ("contacts", "cases")


class StreamedArray:
    """One of a case log's big arrays, read again (one element at a time) on each pass."""

    def __init__(self, path: Path, key: str, count: int) -> None:
        self.path = path
        self.key = key
        self._count = count

    def __iter__(self) -> Iterator[Any]:
        with self.path.open(encoding="utf-8") as fh:
            reader = _Reader(fh)
            for key in _members(reader):
                if key == self.key:
                    yield from _array(reader)
                    return
                _skip(reader)

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0


def _skip(reader: _Reader) -> None:
    """Step over a value; an array one element at a time (never the whole of it in memory)."""
    if reader.peek() == "[":
        for _ in _array(reader):
            pass
    else:
        reader.value()


def read_case_log(path: str | Path) -> dict[str, Any]:
    """The case log at ``path``, with ``cases`` streamed (see the module's docstring).

    Raises:
        CaseLogSyntaxError: not valid JSON, or not a JSON object.
        OSError, UnicodeDecodeError: the file cannot be read.
    """
    path = Path(path)
    data: dict[str, Any] = {}
    with path.open(encoding="utf-8") as fh:
        reader = _Reader(fh)
        if reader.peek() != "{":
            value = reader.value()  # valid JSON of another kind: the validator refuses it
            return value if isinstance(value, dict) else {"": value}
        for key in _members(reader):
            if key in STREAMED and reader.peek() == "[":
                # Counted (each element decoded and dropped) here; read on each pass.
                data[key] = StreamedArray(path, key, sum(1 for _ in _array(reader)))
            else:
                data[key] = reader.value()
        if reader.peek():
            raise CaseLogSyntaxError("extra data after the case log")
    return data
