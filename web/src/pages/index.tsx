import { PAGES } from "../Layout";
import { useCan } from "../context";
import type { Route } from "../lib/route";
import { AuditPage } from "./Audit";
import { BacktestsPage } from "./Backtests";
import { ChartsPage } from "./Charts";
import { CorrelationPage } from "./Correlation";
import { OrdersPage } from "./Orders";
import { OverviewPage } from "./Overview";
import { RiskPage } from "./Risk";
import { SignalsPage } from "./Signals";
import { StrategyPage } from "./Strategy";
import { SystemPage } from "./System";
import { TradesPage } from "./Trades";
import { UsersPage } from "./Users";

export function PageView({ route }: { route: Route }) {
  const isAdmin = useCan("admin");
  const known = PAGES.some((p) => p.id === route.page);
  switch (known ? route.page : "overview") {
    case "trades":
      return <TradesPage route={route} />;
    case "orders":
      return <OrdersPage route={route} />;
    case "signals":
      return <SignalsPage route={route} />;
    case "charts":
      return <ChartsPage route={route} />;
    case "correlation":
      return <CorrelationPage />;
    case "strategy":
      return <StrategyPage />;
    case "risk":
      return <RiskPage />;
    case "backtests":
      return <BacktestsPage />;
    case "system":
      return <SystemPage />;
    case "audit":
      return <AuditPage />;
    case "users":
      return isAdmin ? <UsersPage /> : <OverviewPage />;
    default:
      return <OverviewPage />;
  }
}
