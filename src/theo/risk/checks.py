"""Pre-trade checks (plan §5.1, all eleven; §9 limits) enforced before any order leaves the process.

:class:`PreTradeChecks` is the ``pre_trade`` hook of :class:`~theo.execution.service.OrderService`: it
raises :class:`~theo.core.errors.RiskDenied` with the rule and a reason a trader can read. An order that reduces
exposure skips everything but the trading state (closing orders always pass PDT, limits and the rate
limit), so protective exits stay cheap. :meth:`PreTradeChecks.plan_trade` runs checks 4–10 on a signal
and sizes the trade.

Rules: TRADING_HALTED, REDUCING_ONLY, ORDER_RATE, MAX_ACTIVE_TRADES, MAX_TRADES_PER_DAY, PDT_LIMIT,
INTRADAY_MARGIN, PROFIT_TARGET, STOP_LOSS, POSITION_SIZE, TRADE_RISK, TOTAL_RISK, REG_T_MARGIN,
DAY_TRADING_BP, OVERNIGHT_BP, POSITION_LIMIT, EXPOSURE_LIMIT, DAILY_LOSS_LIMIT, NO_PRICE, MARGIN_UNKNOWN.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from decimal import Decimal

from theo.config.market import MarketConfig
from theo.core.calendar import ET, MarketCalendar, et_date
from theo.core.clock import Clock
from theo.core.errors import RiskDenied
from theo.model.enums import InstrumentKind, Side
from theo.model.instruments import Instrument, equity
from theo.model.money import ZERO, to_decimal
from theo.model.orders import Order, OrderRequest, OrderTag
from theo.model.signals import Signal
from theo.risk.account import AccountSnapshot, take_snapshot
from theo.risk.config import AccountRisk, Limits, RiskConfig
from theo.risk.decisions import Decision, DecisionLog
from theo.risk.margin import MarginModel
from theo.risk.portfolio import PortfolioView
from theo.risk.sizing import MarginContext, TradePlan, plan, size_from_risk
from theo.risk.state import TradingState
from theo.strategy.settings import FixedQuantity, RiskPercent

__all__ = ["PreTradeChecks", "TradePlan", "size_from_risk"]
HUNDRED = Decimal(100)


class PreTradeChecks:
    """The eleven checks of plan §5.1 plus position, exposure and daily-loss limits, per account."""

    def __init__(self, config: RiskConfig, market: MarketConfig, state: TradingState, portfolio: PortfolioView,
                 clock: Clock, calendar: MarketCalendar, *, instruments: Mapping[str, Instrument] | None = None,
                 account: str = "", decisions: DecisionLog | None = None,
                 holds_overnight: Callable[[], bool] | None = None) -> None:
        self.config = config
        self.market = market
        self.state = state
        self.portfolio = portfolio
        self.clock = clock
        self.calendar = calendar
        self.instruments = instruments if instruments is not None else {}
        self.account = account
        self.acct: AccountRisk = config.for_account(account)
        self.margin = MarginModel(self.acct.margin)
        self.decisions = decisions or DecisionLog(account=account)
        self.user = ""
        self.last_denial: RiskDenied | None = None
        self._plans: dict[tuple[str, str, Side], TradePlan] = {}
        self._limit_cache: dict[tuple[str, str], Limits] = {}
        self._holds_overnight = holds_overnight or (lambda: config.trade.time_exit is None)
        self._snapshot: AccountSnapshot | None = None
        self._snapshot_key: tuple[object, object] = (None, None)
        self._sod_maintenance: tuple[date, Decimal] | None = None

    # -- planning ---------------------------------------------------------------------------------------
    def limits(self, strategy: str) -> Limits:
        key = (strategy, self.user)
        lim = self._limit_cache.get(key)
        if lim is None:  # merging validates a model: do it once per strategy and user
            lim = self._limit_cache[key] = self.config.limits_for(strategy, self.user, self.account)
        return lim

    def instrument(self, symbol: str) -> Instrument:
        inst = self.instruments.get(symbol)
        return inst if inst is not None else equity(symbol)

    def snapshot(self) -> AccountSnapshot:
        """The account now, computed once per instant and state of the portfolio (see :mod:`theo.risk.account`)."""
        key = (self.clock.now(), getattr(self.portfolio, "version", None))
        snap = self._snapshot
        if snap is None or key[1] is None or self._snapshot_key != key:
            snap = self._snapshot = take_snapshot(self.portfolio, self.instrument, self.margin)
            self._snapshot_key = key
        return snap

    def start_of_day_maintenance(self, day: date) -> Decimal:
        """Maintenance requirement of the positions held at the previous close, at their prices then."""
        found = self._sod_maintenance
        if found is None or found[0] != day:
            held = self.portfolio.start_of_day_positions(day)
            total = sum((self.margin.maintenance(self.instrument(s), q, px) for s, (q, px) in held.items()), ZERO)
            found = self._sod_maintenance = (day, total)
        return found[1]

    def margin_context(self, now: datetime) -> MarginContext:
        bv = self.portfolio.broker_values()
        day = et_date(now)
        return MarginContext(start_of_day_equity=self.portfolio.start_of_day_equity(day),
                             start_of_day_maintenance=self.start_of_day_maintenance(day),
                             available_funds=bv.available_funds if bv is not None else None,
                             holds_overnight=self._holds_overnight()
                             or now.astimezone(ET).time() >= self.acct.margin.reg_t_check_time,
                             pdt_policy=self.acct.pdt_policy, pdt_min_equity=self.acct.pdt_min_equity,
                             intraday_margin_buffer=self.acct.intraday_margin_buffer)

    def plan_trade(self, signal: Signal, policy: FixedQuantity | RiskPercent, *, signal_id: int | None = None,
                   ss_type: str = "") -> TradePlan:
        """Checks 4–11 on ``signal`` as a plan: levels, the sizing policy, then the quantity capped at the limits."""
        inst = self.instrument(signal.symbol)
        acct = self.snapshot()
        price = acct.marks.get(signal.symbol)
        if price is None:
            price = to_decimal(signal.price, field="signal.price")
        now = self.clock.now()
        try:
            p = plan(signal, inst, self.limits(signal.strategy), self.config.rules_for(signal.strategy), policy, acct,
                     self.margin_context(now), self.margin, price, signal_id=signal_id, ss_type=ss_type)
        except RiskDenied as exc:
            self.last_denial = exc
            req = OrderRequest(signal.symbol, signal.side, Decimal(1), signal.order_type, strategy=signal.strategy)
            self.decisions.add(Decision(now, exc.rule, False, exc.reason, req))
            raise
        self._plans[(p.strategy, p.symbol, p.side)] = p
        return p

    # -- the hook -------------------------------------------------------------------------------------------
    def __call__(self, request: OrderRequest, order: Order | None = None) -> None:
        """Allow ``request`` (a new order, or ``order``'s modification) or raise :class:`RiskDenied`."""
        now = self.clock.now()
        try:
            reducing = self.reduces(request, order)
            if order is not None and request.reduce_only and request.quantity <= order.request.quantity:
                # Tightening or shrinking a protective order: allowed in every state, HALTED included.
                self.decisions.add(Decision(now, "PROTECTIVE", True, "modifies a reduce-only order", request))
                return
            if order is None and request.tag is OrderTag.KILL_SWITCH and request.reduce_only \
                    and (reducing or self.closes_trade(request)):
                # The operator's flatten: its exits leave once the protective orders are cancelled, which an
                # asynchronous broker confirms after the account is already HALTED.
                self.decisions.add(Decision(now, "KILL_SWITCH", True, "flattens on the kill switch", request))
                return
            self.state.check(reducing)
            if reducing or self.closes_trade(request):
                self.decisions.add(Decision(now, "CLOSING", True, "reduces exposure or closes a trade", request))
                return
            if order is not None and request.quantity <= order.request.quantity:
                self.decisions.add(Decision(now, "MODIFY", True, "no larger than before", request))
                return
            self._opening(request, order, now)
        except RiskDenied as exc:
            self.last_denial = exc
            self.decisions.add(Decision(now, exc.rule, False, exc.reason, request))
            raise
        self.decisions.add(Decision(now, "ALL", True, "every check passed", request))

    def reduces(self, request: OrderRequest, order: Order | None = None) -> bool:
        """True when filling this order (with our other working orders on that side) cannot add exposure."""
        pos = self.portfolio.position(request.symbol)
        if pos == 0 or (pos > 0) == (request.side is Side.BUY):
            return False
        pending = self.portfolio.working(request.symbol, request.side)
        if order is not None and order.is_open:
            pending -= order.remaining  # the order being modified is among the working ones
        return abs(pos) >= max(pending, ZERO) + request.quantity

    def closes_trade(self, request: OrderRequest) -> bool:
        """True for a reduce-only exit no larger than what the strategy's trades hold on that symbol.

        With several strategies on one symbol the account may be flat while a trade is open: its exit is
        still a closing order (it passes in ACTIVE; in REDUCING the account-level test above decides).
        """
        if not request.reduce_only or request.tag.opens:
            return False
        held = self.portfolio.trade_open_qty(request.strategy, request.symbol, request.side.opposite)
        return held >= request.quantity

    # -- opening orders ---------------------------------------------------------------------------------------
    def _opening(self, req: OrderRequest, order: Order | None, now: datetime) -> None:
        pf, lim = self.portfolio, self.limits(req.strategy)
        inst = self.instrument(req.symbol)
        today = et_date(now)
        own = self.config.strategies.get(req.strategy)
        per_strategy = req.strategy if own is not None else None
        # (1) number of active trades, (2) trades per day
        if order is None and req.tag.opens:
            n = pf.open_trade_count(per_strategy)
            if n >= lim.max_active_trades:
                raise RiskDenied("MAX_ACTIVE_TRADES", f"{n} trades are running; the limit is "
                                                      f"max_active_trades={lim.max_active_trades}")
            n = pf.trades_opened_on(today, per_strategy)
            if n >= lim.max_trades_per_day:
                raise RiskDenied("MAX_TRADES_PER_DAY", f"{n} trades were opened today; the limit is "
                                                       f"max_trades_per_day={lim.max_trades_per_day}")
        acct = self.snapshot()
        price = self._price(req, acct)
        signed = req.side.sign * req.quantity
        # Daily loss limit and circuit breakers come before sizing: no new risk after a bad day.
        self._daily_loss(lim, today)
        self._pdt(req, inst, price, signed, today, acct)  # (3)
        self._trade_risk(req, inst, price, lim, acct)  # (6)-(9) for orders that were not planned here
        self._limits(req, inst, price, signed, lim, acct)
        self._reg_t(req, inst, price, signed, today, acct, now)  # (11)
        self.state.take_rate_slot(now)

    def _price(self, req: OrderRequest, acct: AccountSnapshot) -> Decimal:
        px = req.limit_price or req.stop_price or acct.marks.get(req.symbol)
        if px is None:
            p = self._plans.get((req.strategy, req.symbol, req.side))
            px = p.entry if p is not None else None
        if px is None:
            raise RiskDenied("NO_PRICE", f"no price is known for {req.symbol} yet, so the risk of this "
                                         f"{req.order_type.value} order cannot be computed; wait for a tick or "
                                         f"send a LIMIT order")
        return px

    def _daily_loss(self, lim: Limits, today: date) -> None:
        caps = [c for c in (lim.daily_loss_limit,
                            None if lim.daily_loss_limit_pct is None else
                            self.portfolio.start_of_day_equity(today) * lim.daily_loss_limit_pct / HUNDRED)
                if c is not None]
        if not caps:
            return
        pnl = self.portfolio.day_pnl(today)
        if pnl <= -min(caps):
            raise RiskDenied("DAILY_LOSS_LIMIT", f"today's P&L {pnl:.2f} USD reached the daily loss limit "
                                                 f"{-min(caps):.2f} USD; only closing orders are allowed today")

    def _pdt(self, req: OrderRequest, inst: Instrument, price: Decimal, signed: Decimal, today: date,
             acct: AccountSnapshot) -> None:
        policy = self.acct.pdt_policy
        if policy == "none" or inst.kind is InstrumentKind.FUTURE:  # §1.1 scope: futures are not securities
            return
        eq = acct.equity
        bv = self.portfolio.broker_values()
        if policy == "legacy_pdt":
            if bv is not None and bv.day_trades_remaining == 0:
                raise RiskDenied("PDT_LIMIT", "the broker reports 0 day trades remaining (DayTradesRemaining); "
                                              "opening orders are refused, closing orders still pass "
                                              "(market-rules.md §1.4)")
            count = self.portfolio.day_trades(today)
            if eq < self.acct.pdt_min_equity and count >= self.acct.pdt_max_day_trades:
                raise RiskDenied("PDT_LIMIT", f"{count} day trades in the last {self.acct.pdt_window_days} business "
                                              f"days and equity {eq:.2f} USD is below {self.acct.pdt_min_equity} "
                                              f"USD: this opening order could be day trade {count + 1} "
                                              f"(market-rules.md §1.1); closing orders still pass")
            return
        # intraday_margin (§1.3–§1.4): the order's initial margin must fit the margin available.
        impact = self.margin.intraday_initial(inst, signed, price)
        if bv is not None and bv.available_funds is not None:
            available = bv.available_funds
        else:
            available = eq - acct.intraday_initial
        room = available - self.acct.intraday_margin_buffer
        if impact > room:
            raise RiskDenied("INTRADAY_MARGIN", f"initial margin {impact:.2f} USD of {req.side.value} "
                                                f"{req.quantity} {req.symbol} exceeds the available "
                                                f"{max(room, ZERO):.2f} USD (available funds "
                                                f"{available:.2f} - buffer {self.acct.intraday_margin_buffer}); "
                                                f"market-rules.md §1.4")

    def _trade_risk(self, req: OrderRequest, inst: Instrument, price: Decimal, lim: Limits,
                    acct: AccountSnapshot) -> None:
        eq = acct.equity
        p = self._plans.get((req.strategy, req.symbol, req.side))
        if p is not None and req.tag.opens:
            if req.quantity > p.quantity:
                raise RiskDenied("TRADE_RISK", f"{req.quantity} {req.symbol} is more than the {p.quantity} "
                                               f"sized from the risk budget {p.budget:.2f} USD")
            risk = req.quantity * p.risk_per_unit
        else:
            per_unit = price * lim.default_stop_pct / HUNDRED * inst.multiplier
            risk = req.quantity * per_unit
            budget = eq * lim.account_risk_pct / HUNDRED
            if risk > budget:
                raise RiskDenied("TRADE_RISK", f"{req.quantity} {req.symbol} risks {risk:.2f} USD at the default "
                                               f"{lim.default_stop_pct}% stop, above the budget {budget:.2f} USD "
                                               f"(account_risk_pct={lim.account_risk_pct})")
        total = acct.open_risk + risk
        cap = eq * lim.max_total_risk_pct / HUNDRED
        if total > cap:
            raise RiskDenied("TOTAL_RISK", f"open risk with this order {total:.2f} USD exceeds "
                                           f"max_total_risk_pct={lim.max_total_risk_pct}% of equity ({cap:.2f} USD)")

    def _limits(self, req: OrderRequest, inst: Instrument, price: Decimal, signed: Decimal, lim: Limits,
                acct: AccountSnapshot) -> None:
        eq = acct.equity
        pos = acct.positions.get(req.symbol, ZERO)
        after = pos + signed
        if lim.max_position_qty is not None and abs(after) > lim.max_position_qty:
            raise RiskDenied("POSITION_LIMIT", f"position {after} {req.symbol} would exceed "
                                               f"max_position_qty={lim.max_position_qty}")
        if lim.max_position_value is not None and abs(after) * price * inst.multiplier > lim.max_position_value:
            raise RiskDenied("POSITION_LIMIT", f"position value {abs(after) * price * inst.multiplier:.2f} USD of "
                                               f"{req.symbol} would exceed max_position_value={lim.max_position_value}")
        own = acct.value(req.symbol)
        value = after * price * inst.multiplier
        gross = acct.gross - abs(own) + abs(value)
        net = acct.net - own + value
        if eq > 0 and gross > eq * lim.max_gross_exposure_pct / HUNDRED:
            raise RiskDenied("EXPOSURE_LIMIT", f"gross exposure {gross:.2f} USD would exceed "
                                               f"max_gross_exposure_pct={lim.max_gross_exposure_pct}% of equity")
        if eq > 0 and abs(net) > eq * lim.max_net_exposure_pct / HUNDRED:
            raise RiskDenied("EXPOSURE_LIMIT", f"net exposure {net:.2f} USD would exceed "
                                               f"max_net_exposure_pct={lim.max_net_exposure_pct}% of equity")

    def _reg_t(self, req: OrderRequest, inst: Instrument, price: Decimal, signed: Decimal, today: date,
               acct: AccountSnapshot, now: datetime) -> None:
        eq = acct.equity
        pos = acct.positions.get(req.symbol, ZERO)
        mark = acct.marks.get(req.symbol)
        own = acct.instruments.get(req.symbol, inst)

        def with_order(kind: str, total: Decimal) -> Decimal:
            return total - acct.requirement(self.margin, kind, own, pos, mark) + \
                acct.requirement(self.margin, kind, inst, pos + signed, price)

        intraday = with_order("intraday_initial", acct.intraday_initial)
        if intraday > eq:
            raise RiskDenied("REG_T_MARGIN", f"initial margin {intraday:.2f} USD with this order exceeds equity "
                                             f"{eq:.2f} USD (house intraday rates, market-rules.md §2.3)")
        legacy = self.acct.pdt_policy == "legacy_pdt" and inst.kind is not InstrumentKind.FUTURE
        if legacy and eq >= self.acct.pdt_min_equity:
            sod = self.portfolio.start_of_day_equity(today)
            dtbp = self.margin.day_trading_buying_power(sod, self.start_of_day_maintenance(today))
            gross = acct.stock_gross - abs(acct.value(req.symbol)) + abs((pos + signed) * price * inst.multiplier)
            if gross > dtbp:
                raise RiskDenied("DAY_TRADING_BP", f"positions of {gross:.2f} USD would exceed the day-trading "
                                                   f"buying power {dtbp:.2f} USD (4 x maintenance excess at the "
                                                   f"previous close, market-rules.md §1.1)")
        reg_t = with_order("reg_t_initial", acct.reg_t_initial)
        late = now.astimezone(ET).time() >= self.acct.margin.reg_t_check_time
        if (self._holds_overnight() or late or (legacy and eq < self.acct.pdt_min_equity)) and reg_t > eq:
            obp = self.margin.overnight_buying_power(eq, acct.reg_t_initial)
            raise RiskDenied("OVERNIGHT_BP", f"Reg T requirement {reg_t:.2f} USD with this order exceeds equity "
                                             f"{eq:.2f} USD; overnight buying power left {obp:.2f} USD "
                                             f"(50 % Reg T, market-rules.md §2.1)")
