import { createContext, useContext } from "react";
import type { Me, Role } from "./api/types";
import { initialLive, type LiveState } from "./lib/live";
import type { StreamStatus } from "./lib/ws";
import type { Theme } from "./lib/theme";

const RANK: Record<Role, number> = { viewer: 0, trader: 1, admin: 2 };

/** Whether `role` reaches `needed` (viewer < trader < admin). */
export function roleAtLeast(role: Role | null | undefined, needed: Role): boolean {
  return role ? RANK[role] >= RANK[needed] : false;
}

export interface Session {
  me: Me;
  theme: Theme;
}

export const SessionContext = createContext<Session | null>(null);
export const LiveContext = createContext<{ live: LiveState; status: StreamStatus }>({
  live: initialLive,
  status: "closed",
});

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("no session");
  return session;
}

export function useCan(needed: Role): boolean {
  return roleAtLeast(useContext(SessionContext)?.me.role, needed);
}

export function useLive(): { live: LiveState; status: StreamStatus } {
  return useContext(LiveContext);
}
