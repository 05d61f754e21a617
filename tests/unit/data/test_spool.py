"""The collector's spool: what is appended reads back exactly; a torn tail is cut, damage is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from theo.core.errors import StorageError
from theo.data.spool import HEADER_SIZE, Spool, SpoolCorrupt, encode_record, scan

RECORDS = st.lists(st.tuples(st.integers(1, 4), st.binary(max_size=64)), min_size=1, max_size=12)


def _file(records: list[tuple[int, bytes]]) -> tuple[bytes, list[int]]:
    """The bytes of ``records`` and the end offset of each."""
    data, ends = b"", []
    for kind, payload in records:
        data += encode_record(kind, payload)
        ends.append(len(data))
    return data, ends


@given(RECORDS)
def test_every_record_appended_reads_back_in_order(records: list[tuple[int, bytes]]) -> None:
    data, ends = _file(records)
    result = scan(data)
    assert [(r.kind, r.payload) for r in result.records] == records
    assert [r.end for r in result.records] == ends
    assert (result.valid_end, result.torn_bytes) == (len(data), 0)


@given(RECORDS, st.data())
def test_a_file_cut_anywhere_gives_the_records_written_before_the_cut(records: list[tuple[int, bytes]],
                                                                      data: st.DataObject) -> None:
    raw, ends = _file(records)
    cut = data.draw(st.integers(0, len(raw)))
    result = scan(raw[:cut])
    whole = [r for r, end in zip(records, ends, strict=True) if end <= cut]
    assert [(r.kind, r.payload) for r in result.records] == whole
    assert result.valid_end == (ends[len(whole) - 1] if whole else 0)
    assert result.torn_bytes == cut - result.valid_end


@given(RECORDS, st.data())
def test_a_damaged_byte_before_the_last_record_is_refused_naming_the_offset(records: list[tuple[int, bytes]],
                                                                             data: st.DataObject) -> None:
    raw, ends = _file([*records, (1, b"after")])
    at = data.draw(st.integers(0, ends[-2] - 1))
    flip = data.draw(st.integers(1, 255))
    damaged = raw[:at] + bytes([raw[at] ^ flip]) + raw[at + 1:]
    with pytest.raises(SpoolCorrupt, match=r"byte \d+"):
        scan(damaged, name="spool.bin")


@given(RECORDS, st.data())
def test_a_damaged_last_record_is_a_torn_tail_and_never_read_as_data(records: list[tuple[int, bytes]],
                                                                     data: st.DataObject) -> None:
    raw, ends = _file(records)
    start = ends[-2] if len(ends) > 1 else 0
    at = data.draw(st.integers(start, len(raw) - 1))
    damaged = raw[:at] + bytes([raw[at] ^ data.draw(st.integers(1, 255))]) + raw[at + 1:]
    try:
        result = scan(damaged)
    except SpoolCorrupt:
        return  # a damaged header whose claimed length leaves bytes after it: refused, also fine
    assert [(r.kind, r.payload) for r in result.records] == records[:-1]
    assert result.torn_bytes == len(raw) - start


def test_zeros_after_the_last_record_are_a_torn_tail() -> None:
    raw, _ = _file([(1, b"abc")])
    result = scan(raw + b"\0" * 40)
    assert (len(result.records), result.torn_bytes) == (1, 40)


@settings(max_examples=30)
@given(RECORDS, st.integers(0, 40))
def test_open_cuts_a_torn_tail_and_keeps_appending_after_it(tmp_path_factory: pytest.TempPathFactory,
                                                            records: list[tuple[int, bytes]], torn: int) -> None:
    path = tmp_path_factory.mktemp("spool") / "c.spool"
    raw, _ = _file(records)
    extra = encode_record(2, b"x" * 30)[:torn] if torn < HEADER_SIZE + 30 else b""
    path.write_bytes(raw + extra)
    spool = Spool(path)
    spool.open()
    try:
        assert spool.torn_bytes == len(extra)
        assert path.stat().st_size == len(raw)
        spool.append(3, b"new")
        assert [(r.kind, r.payload) for r in spool.records()] == [*records, (3, b"new")]
    finally:
        spool.close()


def test_replay_progress_survives_a_reopen_and_reset_empties_the_spool(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "c.spool")
    spool.open()
    spool.append(1, b"one")
    spool.append(1, b"two")
    first = spool.read_at(spool.committed())
    assert first is not None
    assert first.payload == b"one"
    spool.commit(first.end)
    spool.close()
    again = Spool(tmp_path / "c.spool")
    again.open()
    nxt = again.read_at(again.committed())
    assert nxt is not None
    assert nxt.payload == b"two"
    assert again.pending()
    again.commit(nxt.end)
    assert again.read_at(again.committed()) is None
    again.reset()
    assert not again.pending()
    assert (tmp_path / "c.spool").stat().st_size == 0
    assert not (tmp_path / "c.spool.offset").exists()
    again.close()


def test_a_second_process_cannot_open_the_same_spool(tmp_path: Path) -> None:
    one = Spool(tmp_path / "c.spool")
    one.open()
    try:
        with pytest.raises(StorageError, match="in use by another collector"):
            Spool(tmp_path / "c.spool").open()
    finally:
        one.close()


def test_damage_in_the_middle_stops_the_open_naming_file_and_offset(tmp_path: Path) -> None:
    raw, _ = _file([(1, b"first record"), (1, b"second record")])
    damaged = bytearray(raw)
    damaged[HEADER_SIZE + 2] ^= 0xFF
    path = tmp_path / "c.spool"
    path.write_bytes(bytes(damaged))
    with pytest.raises(SpoolCorrupt, match=r"c\.spool: record at byte 0 fails its checksum"):
        Spool(path).open()
    assert path.read_bytes() == bytes(damaged)  # kept as it was for inspection


def test_a_full_disk_is_a_storage_error_naming_the_spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno
    import os

    spool = Spool(tmp_path / "c.spool")
    spool.open()

    def full(_fd: int, _data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", full)
    with pytest.raises(StorageError, match=r"cannot write the spool .*c\.spool while the database is out: No space"):
        spool.append(1, b"ticks")
    monkeypatch.undo()
    spool.close()
