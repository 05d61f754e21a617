"""The deals report (plan §7) as pages and as the CSV download: the rows of ``theo report deals``, built by the
same code, one page of trades at a time (paged in SQL), with a summary of everything the filters select."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from pydantic import BaseModel

from theo.analysis.deals import CENT, CHARGE_COLUMNS, COLUMNS, build_deals, deal_row, last_close_marks, render_deals
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.query import check_page
from theo.api.services.trades import trade_filter
from theo.model.money import ZERO
from theo.persistence.repositories.bars import BarRepository
from theo.persistence.repositories.order_queries import OrderQueries
from theo.persistence.repositories.trades import SqlTradeStore, TradeFilter

LABELS = {"trade_id": "Trade", "strategy": "Strategy", "ss_type": "SS type", "ss_signal_type": "Signal type",
          "symbol": "Symbol", "entry_qty": "Entry qty", "exit_qty": "Exit qty", "entry_price": "Entry price",
          "exit_price": "Exit price", "pnl": "P&L", "charges": "Charges", "net_pnl": "Net P&L",
          "net_pnl_pct": "Net P&L %", "entry_date": "Entry date (ET)", "exit_date": "Exit date (ET)",
          "status": "Status", "comment": "Comment", "commission": "Commission", "exchange_fee": "Exchange fee",
          "clearing_fee": "Clearing fee", "sec_fee": "SEC fee", "finra_taf": "FINRA TAF", "cat_fee": "CAT fee",
          "orf": "ORF", "occ_fee": "OCC fee", "nfa_fee": "NFA fee", "other_fee": "Other fee",
          "total_charges": "Total charges", "charges_source": "Charges source",
          "fee_schedule_version": "Fee schedule"}
CSV_CHUNK = 5000


class Column(BaseModel):
    """A column: ``key`` is the CSV header and the item's key, ``label`` the table heading."""

    key: str
    label: str


class DealsSummary(BaseModel):
    """Totals over every deal the filters select. ``pnl``, ``charges`` and ``net_pnl`` add the stored realised
    P&L and the running trades' unrealised P&L at the newest stored close; ``wins``/``losses`` count closed
    deals with a positive/negative net P&L; ``win_rate`` is wins over closed deals (null when none)."""

    count: int
    open: int
    closed: int
    pnl: Decimal
    unrealised: Decimal
    charges: Decimal
    net_pnl: Decimal
    wins: int
    losses: int
    win_rate: Decimal | None


class DealsPage(BaseModel):
    """One page of the deals report; each item maps every column key to its text, formatted as in the CSV."""

    columns: list[Column]
    items: list[dict[str, str]]
    total: int
    summary: DealsSummary


def _filter(symbol: str | None, strategy: str | None, start: str | None, end: str | None,
            side: str | None) -> TradeFilter:
    return trade_filter(None, symbol, strategy, start, end, side, filled=True)


def _marks(ctx: ServiceContext, f: TradeFilter) -> tuple[dict[str, Decimal], Decimal]:
    """Marks of the running trades ``f`` selects, and their unrealised P&L at those marks."""
    store = SqlTradeStore(ctx.store)
    running, _ = store.page(TradeFilter(status="open", symbol=f.symbol, strategy=f.strategy, side=f.side,
                                        start=f.start, end=f.end, filled=True), 0, 0, count=False)
    marks = last_close_marks(BarRepository(ctx.store), running)
    return marks, sum((t.unrealised(marks.get(t.symbol)) for t in running), ZERO)


def list_deals(ctx: ServiceContext, actor: Actor, *, symbol: str | None = None, strategy: str | None = None,
               start: str | None = None, end: str | None = None, side: str | None = None, limit: int = 100,
               offset: int = 0) -> DealsPage:
    """Deals (filled trades) by entry time, oldest first (the report's order), with the summary."""
    actor.require(Role.VIEWER, "reading deals")
    check_page(limit, offset)
    f = _filter(symbol, strategy, start, end, side)
    store = SqlTradeStore(ctx.store)
    trades, _ = store.page(f, limit, offset, by_entry=True, newest_first=False, count=False)
    marks, unrealised = _marks(ctx, f)
    fills = OrderQueries(ctx.store).fills_of(trades)
    rows = [deal_row(d) for d in build_deals(trades, marks, fills)]
    sums = store.totals(f)
    closed = sums.count - sums.open
    summary = DealsSummary(count=sums.count, open=sums.open, closed=closed,
                           pnl=(sums.realised + unrealised).quantize(CENT), unrealised=unrealised.quantize(CENT),
                           charges=sums.charges.quantize(CENT), net_pnl=(sums.net + unrealised).quantize(CENT),
                           wins=sums.wins, losses=sums.losses,
                           win_rate=(Decimal(sums.wins) / closed * 100).quantize(CENT) if closed else None)
    return DealsPage(columns=[Column(key=c, label=LABELS.get(c, c)) for c in (*COLUMNS, *CHARGE_COLUMNS)],
                     items=rows, total=sums.count, summary=summary)


def deals_csv(ctx: ServiceContext, actor: Actor, *, symbol: str | None = None, strategy: str | None = None,
              start: str | None = None, end: str | None = None, side: str | None = None) -> Iterator[str]:
    """The deals the filters select as CSV, byte for byte what ``theo report deals --format csv`` writes for
    them; produced in chunks of trades so a large journal streams in constant memory."""
    actor.require(Role.VIEWER, "exporting deals")
    f = _filter(symbol, strategy, start, end, side)
    marks, _ = _marks(ctx, f)
    return _csv_chunks(ctx, f, marks)


def _csv_chunks(ctx: ServiceContext, f: TradeFilter, marks: dict[str, Decimal]) -> Iterator[str]:
    queries = OrderQueries(ctx.store)
    first = True
    for trades in SqlTradeStore(ctx.store).iter_trades(f, CSV_CHUNK):
        text = render_deals(build_deals(trades, marks, queries.fills_of(trades)), "csv")
        yield text if first else text.split("\n", 1)[1]
        first = False
    if first:
        yield render_deals([], "csv")
