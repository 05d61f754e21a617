"""A restarted trade manager picks up its open trades, positions and P&L from the journal and the store."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tests.unit.execution.helpers import T0, make_rig
from tests.unit.trading.rig import TradingRig, signal
from theo.model.enums import OrderType, Side
from theo.model.orders import OrderRequest
from theo.model.trades import ExitReason, TradeStatus
from theo.risk.config import RiskConfig
from theo.trading.manager import TradeManager

D = Decimal


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def _restart(tmp_path: Path, first: TradingRig, config: RiskConfig) -> TradingRig:
    """A new process: same store and broker state file, fresh service and manager."""
    first.rig.engine.dispose()
    rig = make_rig(tmp_path, engine=first.rig.engine, state_file="sim.json", start=first.rig.clock.now())
    mgr = TradeManager(rig.service, rig.clock, None, config, rig.bus, rig.engine)
    return TradingRig(rig, mgr)


def test_open_trades_survive_a_restart_and_keep_being_managed(tmp_path: Path) -> None:
    config = RiskConfig.model_validate({"trade": {"rr_trigger_r": 1}})
    rig = make_rig(tmp_path, state_file="sim.json")
    r = TradingRig(rig, TradeManager(rig.service, rig.clock, None, config, rig.bus, rig.engine))
    r.tick(sec(0), 100.0)
    t = r.manager.open_trade(signal(sec(0), 100.0, stop=99.0, target=103.0))
    r.tick(sec(1), 100.0)
    r.tick(sec(2), 101.0)  # risk reduction: 500 sold, stop to 100
    assert t is not None
    assert t.exit_qty == D(500)
    equity = r.manager.portfolio.equity()

    r2 = _restart(tmp_path, r, config)
    report = r2.manager.recover()
    assert report.trades == 1
    assert report.fills == 2
    [t2] = r2.manager.trades(open_only=True)
    assert (t2.entry_qty, t2.exit_qty, t2.stop, t2.rr_done) == (D(1000), D(500), D(100), True)
    assert t2.realised == t.realised
    assert r2.manager.portfolio.position("SPY") == D(500)
    r2.tick(sec(3), 101.0)
    assert r2.manager.portfolio.equity() == equity
    r2.tick(sec(4), 100.0)  # the break-even stop still works after the restart
    assert t2.status is TradeStatus.CLOSED
    assert t2.exit_reason is ExitReason.STOP_LOSS


def test_an_accepted_entry_without_its_trade_row_is_rebuilt(tmp_path: Path) -> None:
    config = RiskConfig()
    rig = make_rig(tmp_path, state_file="sim.json")
    r = TradingRig(rig, TradeManager(rig.service, rig.clock, None, config, rig.bus, rig.engine, subscribe=False))
    r.tick(sec(0), 100.0)
    # the entry is journaled and sent, then the process dies before the trade row is written
    rig.service.create_order(OrderRequest("SPY", Side.BUY, D(100), OrderType.MARKET, strategy="s1", tag="entry"))
    r.tick(sec(1), 100.0)
    r2 = _restart(tmp_path, r, config)
    report = r2.manager.recover()
    assert len(report.rebuilt) == 1
    [t] = r2.manager.trades(open_only=True)
    assert (t.entry_qty, t.entry_price, t.stop, t.target) == (D(100), D("100.00"), D("99.00"), D("102.00"))
    assert "recovered without its plan" in t.comment
