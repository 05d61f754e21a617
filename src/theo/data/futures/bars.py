"""Per-contract bar columns and how to read them from a bar file."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from theo.core.errors import ImportFileError
from theo.data.futures.contracts import Contract

US_PER_HOUR = 3_600_000_000
#: The CME equity trading day ``d`` starts 18:00 ET on ``d - 1``: shifting ET by 6 hours maps it onto ``d``.
_CME_DAY_SHIFT_US = 6 * US_PER_HOUR

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class ContractBars:
    """Bars of one contract as columns; ``start_us`` is the bar start in UTC microseconds, ascending."""

    contract: Contract
    start_us: IntArray
    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    #: Rows the reader rejected, as "line N: column=value (reason)"; they are reported, never dropped silently.
    rejected: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        n = len(self.start_us)
        for name in ("open", "high", "low", "close", "volume"):
            if len(getattr(self, name)) != n:
                raise ValueError(f"{self.contract.symbol}: column {name} has {len(getattr(self, name))} rows, "
                                 f"start_us has {n}")
        if n > 1 and not bool(np.all(np.diff(self.start_us) > 0)):
            raise ValueError(f"{self.contract.symbol}: bar starts must be strictly increasing")

    def __len__(self) -> int:
        return len(self.start_us)

    def trading_days(self) -> npt.NDArray[np.datetime64]:
        """CME trading day of every bar (``datetime64[D]``): 18:00 ET opens the next day's session."""
        import pandas as pd

        et = pd.to_datetime(self.start_us, unit="us", utc=True).tz_convert("America/New_York")
        local = et.tz_localize(None).to_numpy().astype("datetime64[us]").astype(np.int64) + _CME_DAY_SHIFT_US
        return local.astype("datetime64[us]").astype("datetime64[D]")


def read_contract_bars(path: Path, contract: Contract) -> ContractBars:
    """Read a per-contract bar file (CSV or CSV.gz with ts, open, high, low, close, volume).

    Uses the market-data file reader when the platform has one, so quality rules are the same
    everywhere; otherwise reads the shared-data layout directly (ISO ``ts`` with an explicit offset).
    """
    if not path.is_file():
        raise ImportFileError(f"{path}: no such file; give a per-contract bar file such as ES_ESZ13_1min_....csv.gz")
    try:
        from theo.data.files import read_market_file  # type: ignore[import-not-found, unused-ignore]
    except ImportError:
        return _read_csv(path, contract)
    result = read_market_file(path, contract.symbol)
    cols = result.bars
    if cols is None:
        raise ImportFileError(f"{path}: holds {result.kind}, not bars; give a per-contract bar file")
    rejected = tuple(f"line {r.line}: {r.column}={r.value!r} ({r.reason})" for r in result.rejections)
    return ContractBars(contract, np.asarray(cols.start_us, dtype=np.int64),
                        np.asarray(cols.open, dtype=np.float64), np.asarray(cols.high, dtype=np.float64),
                        np.asarray(cols.low, dtype=np.float64), np.asarray(cols.close, dtype=np.float64),
                        np.asarray(cols.volume, dtype=np.float64), rejected)


def _read_csv(path: Path, contract: Contract) -> ContractBars:
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except (OSError, ValueError) as exc:
        raise ImportFileError(f"{path}: cannot read as CSV ({exc})") from None
    missing = [c for c in ("ts", "open", "high", "low", "close", "volume") if c not in df.columns]
    if missing:
        raise ImportFileError(f"{path}: missing column(s) {', '.join(missing)}; expected ts,open,high,low,close,volume")
    try:
        ts = pd.to_datetime(df["ts"], utc=True, format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise ImportFileError(f"{path}: column ts is not ISO-8601 with a UTC offset ({exc})") from None
    start_us: IntArray = np.asarray(ts.astype("datetime64[us, UTC]").astype("int64"), dtype=np.int64)
    values = {c: pd.to_numeric(df[c], errors="coerce").to_numpy(dtype=np.float64)
              for c in ("open", "high", "low", "close", "volume")}
    for name, col in values.items():
        bad = np.flatnonzero(~np.isfinite(col))
        if len(bad):
            line = int(bad[0]) + 2  # header is line 1
            raise ImportFileError(f"{path} line {line}: column {name} value {df[name].iloc[bad[0]]!r} "
                                  "is not a number; fix or remove the row")
    return ContractBars(contract, start_us, values["open"], values["high"], values["low"], values["close"],
                        values["volume"])
