"""Read a CSV market-data file into a table of strings, keeping the source line of every row.

Rows with a wrong field count come back as rejections. A line too long for the parser's blocks (a
corrupt file, a binary blob pasted into a CSV) or a line that is not UTF-8 text is rejected alone
(reason ``line_too_long`` or ``not_utf8``): the file is read again without such lines, so the good rows
are kept and every line number stays the file's own.
"""

from __future__ import annotations

import gzip
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from theo.core.errors import ImportFileError

if TYPE_CHECKING:
    from theo.data.files import RowRejection

#: Lines longer than this are rejected when the parser cannot read the file in one go.
MAX_LINE_BYTES = 1 << 20
_BLOCK_BYTES = 4 * MAX_LINE_BYTES  # every line kept fits in one block of the second read
_SHOWN = 60


def read_csv_table(path: Path) -> tuple[pa.Table, np.ndarray, list[RowRejection]]:
    """All columns as strings, the 1-based source line of each row (header = 1), and rejected lines."""
    from theo.data.files import MALFORMED_ROW, MISSING_FIELD, RowRejection

    names = csv_header(path)
    bad: list[pacsv.InvalidRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> Literal["skip"]:
        bad.append(row)
        return "skip"

    def read(source: Path | pa.Buffer, threads: bool, block: int | None = None) -> pa.Table:
        bad.clear()
        options = pacsv.ReadOptions(use_threads=threads, **({"block_size": block} if block else {}))
        return pacsv.read_csv(
            source if isinstance(source, Path) else pa.BufferReader(source), read_options=options,
            parse_options=pacsv.ParseOptions(ignore_empty_lines=False, invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                 strings_can_be_null=True, null_values=[""]))

    dropped: list[RowRejection] = []
    try:
        failure: pa.ArrowInvalid | None = None
        with _undecodable_rows() as undecodable:
            try:
                table = read(path, True)
            except pa.ArrowInvalid as exc:
                failure = exc
        if failure is not None or undecodable:
            if failure is not None and not undecodable and not any(k in str(failure) for k in ("straddl", "UTF8")):
                raise failure
            buffer, dropped = _without_bad_lines(path, names)
            table = read(buffer, False, _BLOCK_BYTES)
        if any(r.number is None for r in bad):
            # row numbers of bad rows are known only on the single-threaded reader
            table = read(path, False) if not dropped else read(buffer, False, _BLOCK_BYTES)
    except (pa.ArrowException, OSError, EOFError) as exc:
        raise ImportFileError(f"{path}: cannot read it as CSV ({exc})") from None
    skipped = np.array(sorted(int(r.number or 0) for r in bad), dtype=np.int64)
    all_lines = np.arange(2, table.num_rows + len(bad) + 2, dtype=np.int64)
    lines = all_lines[~np.isin(all_lines, skipped)] if bad else all_lines
    rejections = [
        RowRejection(int(r.number or 0), "row", r.text,
                     MISSING_FIELD if r.actual_columns < r.expected_columns else MALFORMED_ROW,
                     f"expected {r.expected_columns} fields, found {r.actual_columns}", r.text)
        for r in bad
    ]
    if dropped:
        # the second read saw the file without the dropped lines: map its line numbers back to the file's
        gone = np.array([r.line for r in dropped], dtype=np.int64)
        lines = _file_lines(lines, gone)
        remapped = _file_lines(np.array([r.line for r in rejections], dtype=np.int64), gone).tolist()
        rejections = [RowRejection(int(n), r.column, r.value, r.reason, r.detail, r.raw)
                      for n, r in zip(remapped, rejections, strict=True)]
        rejections = sorted(rejections + dropped, key=lambda r: r.line)
    return table, lines, rejections


def _file_lines(read_lines: np.ndarray, gone: np.ndarray) -> np.ndarray:
    """File line numbers of lines numbered without the ``gone`` lines (both 1-based, ``gone`` sorted)."""
    out = read_lines.copy()
    for g in gone.tolist():  # few: only lines over MAX_LINE_BYTES
        out[out >= g] += 1
    return out


@contextmanager
def _undecodable_rows() -> Iterator[list[BaseException]]:
    """Collect the UnicodeDecodeError pyarrow hits (and would print) while handing a bad row to Python."""
    seen: list[BaseException] = []
    previous = sys.unraisablehook

    def hook(info: sys.UnraisableHookArgs) -> None:
        if isinstance(info.exc_value, UnicodeDecodeError):
            seen.append(info.exc_value)
        else:
            previous(info)

    sys.unraisablehook = hook
    try:
        yield seen
    finally:
        sys.unraisablehook = previous


def _without_bad_lines(path: Path, names: list[str]) -> tuple[pa.Buffer, list[RowRejection]]:
    """The file's bytes without lines over :data:`MAX_LINE_BYTES` or not UTF-8, and a rejection for each."""
    from theo.data.files import LINE_TOO_LONG, NOT_UTF8, RowRejection

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    kept: list[bytes] = []
    dropped: list[RowRejection] = []
    with opener(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if number == 1:
                kept.append(line)
                continue
            if len(line) <= MAX_LINE_BYTES:
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as exc:
                    start = line.rfind(b",", 0, exc.start) + 1
                    at = line[:start].count(b",")
                    name = names[at] if at < len(names) else f"field {at + 1}"
                    end = line.find(b",", exc.start)
                    shown = line[start:end if end >= 0 else None].rstrip(b"\r\n")[:_SHOWN].decode(
                        "utf-8", "backslashreplace")
                    dropped.append(RowRejection(
                        number, name, shown, NOT_UTF8, f"line {number}, column {at + 1} ({name}): byte "
                        f"{line[exc.start]:#04x} is not UTF-8 text", line[:200].decode("utf-8", "backslashreplace")))
                else:
                    kept.append(line)
                continue
            fields = line.rstrip(b"\r\n").split(b",")
            widest = max(range(len(fields)), key=lambda k: len(fields[k]))
            column = names[widest] if widest < len(names) else f"field {widest + 1}"
            head = line[:_SHOWN].decode("utf-8", "replace") + "..."
            dropped.append(RowRejection(
                number, column, fields[widest][:_SHOWN].decode("utf-8", "replace") + "...", LINE_TOO_LONG,
                f"line {number} has {len(line):,} bytes (limit {MAX_LINE_BYTES:,}); column {widest + 1} "
                f"({column}) holds {len(fields[widest]):,} of them", head))
    return pa.py_buffer(b"".join(kept)), dropped


def csv_header(path: Path) -> list[str]:
    """The header's column names; refuse a file whose first line is not a header."""
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            header = fh.readline(MAX_LINE_BYTES).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise ImportFileError(f"{path}: cannot read the header line (line 1: {exc})") from None
    names = [n.strip() for n in header.strip().split(",")]
    if not header.strip() or any(not n for n in names):
        raise ImportFileError(f"{path}: the first line must be a header such as 'ts,price,size'")
    return names
