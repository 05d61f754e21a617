"""Read a CSV market-data file into a table of strings, keeping the source line of every row.

Rows with a wrong field count come back as rejections. A line too long for the parser's blocks (a
corrupt file, a binary blob pasted into a CSV) is rejected alone with reason ``line_too_long``: the file
is read again without it, so the good rows are kept and every line number stays the file's own.
"""

from __future__ import annotations

import gzip
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
        try:
            table = read(path, True)
        except pa.ArrowInvalid as exc:
            if "straddl" not in str(exc):
                raise
            buffer, dropped = _without_long_lines(path, names)
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


def _without_long_lines(path: Path, names: list[str]) -> tuple[pa.Buffer, list[RowRejection]]:
    """The file's bytes without lines over :data:`MAX_LINE_BYTES`, and a rejection for each one."""
    from theo.data.files import LINE_TOO_LONG, RowRejection

    opener = gzip.open if path.suffix.lower() == ".gz" else open
    kept: list[bytes] = []
    dropped: list[RowRejection] = []
    with opener(path, "rb") as fh:
        for number, line in enumerate(fh, start=1):
            if len(line) <= MAX_LINE_BYTES or number == 1:
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
        with opener(path, "rt", encoding="utf-8", newline="") as fh:
            header = fh.readline(MAX_LINE_BYTES)
    except (OSError, UnicodeDecodeError, EOFError) as exc:
        raise ImportFileError(f"{path}: cannot read the header line ({exc})") from None
    names = [n.strip() for n in header.strip().split(",")]
    if not header.strip() or any(not n for n in names):
        raise ImportFileError(f"{path}: the first line must be a header such as 'ts,price,size'")
    return names
