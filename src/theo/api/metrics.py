"""Prometheus metrics (``GET /metrics``): one :class:`~prometheus_client.CollectorRegistry` per app, filled at
scrape time from what the process already keeps, so no hot path writes a metric:

* the engine run's counters snapshot (``ServiceContext.run``, or the latest ``engine_runs`` row): ticks in total
  and per symbol, gate rejections of the run, the tick latency histogram per feed and symbol (cumulative
  buckets the pipeline's ``LatencyMonitor`` keeps since the start) and its rolling p50/p99, the engine clock's
  lag behind the wall clock; the order journal's write latency (every write transaction, begin to commit) and,
  in a live run, each timeframe's bar lag (bar end to its publication), as histograms the run keeps;
* the database: signals per status (the engine journal, as the signals page lists them), orders per state,
  fills, quarantined input per reason, realized and unrealized P&L (the overview's figures), the trading state;
* the event stream (:class:`theo.api.events.EventHub`): clients, queued events, published, throttled and dropped.

Rates (ticks per second) are Prometheus's job: ``rate(theo_ticks_total[1m])``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from theo.api.events import EventHub
from theo.api.services.context import Actor, Role, ServiceContext
from theo.api.services.overview import get_overview
from theo.api.services.runinfo import latest_run
from theo.config.loader import redact
from theo.core.logging import get_logger
from theo.data.latency import BUCKETS_MS
from theo.risk.state import State

#: The trading state as a number (``theo_trading_state``).
STATE_CODES = {State.ACTIVE: 0, State.REDUCING: 1, State.HALTED: 2}
log = get_logger(__name__)
SYSTEM = Actor("metrics", Role.VIEWER, "metrics")


class TheoCollector(Collector):
    """Reads ``ctx`` on every scrape (module docstring)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("theo_database_up", "1 when the database answered this scrape's queries")
        try:
            families = [*self._run(), *self._store()]
        except Exception as exc:  # a store that does not answer: say so, keep serving the rest
            log.warning("metrics.database_failed", error=redact(str(exc).splitlines()[0] if str(exc) else
                                                                type(exc).__name__))
            families = []
        up.add_metric([], 1.0 if families else 0.0)
        yield up
        yield from families
        yield from self._events()

    def _run(self) -> Iterator[Metric]:
        run, counters = latest_run(self.ctx)
        up = GaugeMetricFamily("theo_engine_running", "1 while an engine run is running (heartbeat fresh)")
        up.add_metric([], 1.0 if run is not None and run.status == "running" else 0.0)
        yield up
        ticks = CounterMetricFamily("theo_ticks", "market data items the engine processed")
        ticks.add_metric([], float(counters.get("items", 0)))
        yield ticks
        per = CounterMetricFamily("theo_symbol_ticks", "market data items processed per symbol", labels=["symbol"])
        for symbol, n in sorted(counters.get("ticks", {}).items()):
            per.add_metric([symbol], float(n))
        yield per
        rejected = CounterMetricFamily("theo_run_rejected_ticks", "ticks the run's quality gate refused")
        rejected.add_metric([], float(counters.get("rejected_ticks", 0)))
        yield rejected
        yield _histogram(counters.get("latency_histogram", {}))
        latency = GaugeMetricFamily("theo_tick_latency_quantile_milliseconds", "tick latency quantiles over the "
                                    "live pipeline's rolling window", labels=["feed", "symbol", "quantile"])
        samples = CounterMetricFamily("theo_tick_latency_samples", "ticks measured for the latency quantiles",
                                      labels=["feed", "symbol"])
        for key, stats in sorted(counters.get("latency", {}).items()):
            feed, _, symbol = str(key).partition(":")
            if isinstance(stats, dict):
                latency.add_metric([feed, symbol, "0.5"], float(stats.get("p50_ms", 0.0)))
                if "p95_ms" in stats:
                    latency.add_metric([feed, symbol, "0.95"], float(stats["p95_ms"]))
                latency.add_metric([feed, symbol, "0.99"], float(stats.get("p99_ms", 0.0)))
                samples.add_metric([feed, symbol], float(stats.get("n", 0)))
        yield latency
        yield samples
        yield from _feeds(counters.get("feeds"))
        lag = GaugeMetricFamily("theo_engine_clock_lag_seconds", "wall clock minus the engine's clock (the time of "
                                "the newest data it processed): how far bars and signals trail real time")
        if run is not None and run.sim_now is not None:
            lag.add_metric([], (datetime.now(UTC) - run.sim_now).total_seconds())
        yield lag
        journal = HistogramMetricFamily("theo_journal_write_seconds", "order journal write transactions, begin "
                                        "to commit, since the run started", labels=[])
        _add_histogram(journal, [], counters.get("journal_write_seconds"))
        yield journal
        bars = HistogramMetricFamily("theo_bar_lag_seconds", "wall-clock time from a bar's end to its publication "
                                     "(live runs), per timeframe", labels=["timeframe"])
        per_tf = counters.get("bar_lag_seconds")
        for timeframe, snapshot in sorted(per_tf.items() if isinstance(per_tf, dict) else []):
            _add_histogram(bars, [str(timeframe)], snapshot)
        yield bars

    def _store(self) -> Iterator[Metric]:
        from theo.persistence.repositories.monitoring import MonitoringRepository
        from theo.persistence.repositories.quarantine import QuarantineRepository
        from theo.persistence.repositories.runs import SqlRunStore

        counts = MonitoringRepository(self.ctx.store).status_counts()
        signals = GaugeMetricFamily("theo_signals", "the engine's signals per status (every run's journal)",
                                    labels=["status"])
        journaled = Counter(str(p.get("status")) for p in SqlRunStore(self.ctx.store).journal_of_kind("signal"))
        for status, n in sorted(journaled.items()):
            signals.add_metric([status], float(n))
        yield signals
        orders = GaugeMetricFamily("theo_orders", "orders per state", labels=["state"])
        for status, n in sorted(counts["orders"].items()):
            orders.add_metric([status], float(n))
        yield orders
        fills = CounterMetricFamily("theo_fills", "fills journaled")
        fills.add_metric([], float(counts["fills"]["all"]))
        yield fills
        gate = CounterMetricFamily("theo_gate_rejections", "input refused by the quality gate and the importers "
                                   "(the quarantine table), per reason", labels=["reason"])
        for reason, n in sorted(QuarantineRepository(self.ctx.store).quarantine_counts().items()):
            gate.add_metric([reason], float(n))
        yield gate
        view = get_overview(self.ctx, SYSTEM)
        pnl = GaugeMetricFamily("theo_pnl_usd", "profit and loss in USD", labels=["kind"])
        pnl.add_metric(["realized"], float(view.realized_pnl))
        pnl.add_metric(["unrealized"], float(view.unrealized_pnl))
        yield pnl
        open_trades = GaugeMetricFamily("theo_open_trades", "trades with an open position")
        open_trades.add_metric([], float(len(view.open_trades)))
        yield open_trades
        state = GaugeMetricFamily("theo_trading_state", "0 active, 1 reducing, 2 halted")
        state.add_metric([], float(STATE_CODES.get(view.state.state, 2)))
        yield state

    def _events(self) -> Iterator[Metric]:
        hub = self.ctx.events
        if not isinstance(hub, EventHub):
            return
        for name, doc, value in (("clients", "WebSocket clients connected", hub.clients),
                                 ("queued", "events queued for the clients", hub.backlog())):
            g = GaugeMetricFamily(f"theo_event_stream_{name}", doc)
            g.add_metric([], float(value))
            yield g
        for name, doc, value in (("published", "events published to the stream", hub.published),
                                 ("dropped", "droppable events a slow client lost", hub.dropped),
                                 ("throttled", "ticks held back by the per-symbol rate limit", hub.throttled)):
            c = CounterMetricFamily(f"theo_event_stream_{name}", doc)
            c.add_metric([], float(value))
            yield c


def _feeds(status: Any) -> Iterator[Metric]:
    """The fail-over supervisor's routes and switches (``[feeds] secondary``), when the run has one."""
    if not isinstance(status, dict):
        return
    active = GaugeMetricFamily("theo_feed_active", "1 for the feed each symbol is taken from now",
                               labels=["symbol", "feed"])
    for symbol, feed in sorted(status.get("active", {}).items()):
        active.add_metric([symbol, str(feed)], 1.0)
    yield active
    switches = CounterMetricFamily("theo_feed_switches", "symbols moved between feeds since the run started",
                                   labels=["kind"])
    for kind in ("failover", "failback"):
        switches.add_metric([kind], float(status.get(f"{kind}s", 0)))
    yield switches
    dark = GaugeMetricFamily("theo_feed_unavailable_symbols", "subscribed symbols no feed is fresh for (in session)")
    dark.add_metric([], float(len(status.get("unavailable", []))))
    yield dark


def _histogram(runs: dict[str, Any]) -> Metric:
    """``theo_tick_latency_milliseconds``: every tick's exchange-to-receipt latency since the run started."""
    family = HistogramMetricFamily("theo_tick_latency_milliseconds", "tick latency, exchange time to receipt, "
                                   "of the live pipeline", labels=["feed", "symbol"])
    bounds = [*(f"{b:g}" for b in BUCKETS_MS), "+Inf"]
    for key, h in sorted(runs.items()):
        counts = h.get("buckets") if isinstance(h, dict) else None
        if not isinstance(counts, list) or len(counts) != len(bounds):
            continue
        feed, _, symbol = str(key).partition(":")
        family.add_metric([feed, symbol], buckets=[(b, float(n)) for b, n in zip(bounds, counts, strict=True)],
                          sum_value=float(h.get("sum", 0.0)))
    return family


def _add_histogram(family: HistogramMetricFamily, labels: list[str], snapshot: Any) -> None:
    """Add a :meth:`theo.core.histogram.Histogram.snapshot` (bounds, cumulative buckets, sum); skip a malformed
    one (an older run's counters) rather than fail the scrape."""
    if not isinstance(snapshot, dict):
        return
    bounds, counts = snapshot.get("bounds"), snapshot.get("buckets")
    if not isinstance(bounds, list) or not isinstance(counts, list) or len(counts) != len(bounds) + 1:
        return
    edges = [*(f"{float(b):g}" for b in bounds), "+Inf"]
    family.add_metric(labels, buckets=[(e, float(n)) for e, n in zip(edges, counts, strict=True)],
                      sum_value=float(snapshot.get("sum", 0.0)))


def registry_for(ctx: ServiceContext) -> CollectorRegistry:
    """A registry of its own for one app (never the process-global default)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(TheoCollector(ctx))
    return registry


def exposition(registry: CollectorRegistry) -> bytes:
    """The text exposition format of ``registry``."""
    return generate_latest(registry)
