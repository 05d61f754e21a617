import { useCallback, useEffect, useMemo, useReducer, useState } from "react";
import { api, ApiError } from "./api/client";
import type { Me } from "./api/types";
import { LiveContext, SessionContext } from "./context";
import { Layout } from "./Layout";
import { initialLive, reduceEvent } from "./lib/live";
import { navigate, useRoute } from "./lib/route";
import { applyTheme, loadTheme, saveTheme, type Theme } from "./lib/theme";
import { EventStream, eventsUrl, type StreamStatus } from "./lib/ws";
import { LoginPage } from "./pages/Login";
import { PageView } from "./pages";

export function App() {
  const route = useRoute();
  const [me, setMe] = useState<Me | null>(null);
  const [checked, setChecked] = useState(false);
  const [theme, setTheme] = useState<Theme>(() => loadTheme());
  const [live, dispatch] = useReducer(reduceEvent, initialLive);
  const [status, setStatus] = useState<StreamStatus>("closed");

  useEffect(() => applyTheme(theme), [theme]);

  useEffect(() => {
    api.get<Me>("/auth/me").then(
      (value) => {
        api.setCsrfToken(value.csrf_token);
        setMe(value);
        setChecked(true);
      },
      (err: unknown) => {
        if (!(err instanceof ApiError && err.status === 401)) console.error(err);
        setChecked(true);
      },
    );
  }, []);

  // A 401 from any call sends the browser to #/login: drop the session there.
  useEffect(() => {
    if (route.page === "login" && me && api.csrfToken === null) setMe(null);
  }, [route.page, me]);

  useEffect(() => {
    if (!me) return;
    const stream = new EventStream({ url: eventsUrl(), onEvent: dispatch, onStatus: setStatus });
    stream.start();
    return () => stream.stop();
  }, [me]);

  const onLogin = useCallback((value: Me) => {
    api.setCsrfToken(value.csrf_token);
    setMe(value);
    const next = new URLSearchParams(window.location.hash.split("?")[1] ?? "").get("next");
    window.location.hash = next && next.startsWith("/") && !next.startsWith("/login") ? `#${next}` : "#/overview";
  }, []);

  const onLogout = useCallback(async () => {
    try {
      await api.post("/auth/logout");
    } finally {
      api.setCsrfToken(null);
      setMe(null);
      navigate("login");
    }
  }, []);

  const toggleTheme = useCallback(() => {
    setTheme((t) => {
      const next = t === "dark" ? "light" : "dark";
      saveTheme(next);
      return next;
    });
  }, []);

  const session = useMemo(() => (me ? { me, theme } : null), [me, theme]);
  const liveValue = useMemo(() => ({ live, status }), [live, status]);

  if (!checked) return <div className="boot muted">Loading…</div>;
  if (!me || route.page === "login") {
    return <LoginPage onLogin={onLogin} theme={theme} onToggleTheme={toggleTheme} />;
  }
  return (
    <SessionContext.Provider value={session}>
      <LiveContext.Provider value={liveValue}>
        <Layout page={route.page} onLogout={onLogout} onToggleTheme={toggleTheme}>
          <PageView route={route} />
        </Layout>
      </LiveContext.Provider>
    </SessionContext.Provider>
  );
}
