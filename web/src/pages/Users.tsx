import { useState, type FormEvent } from "react";
import { api } from "../api/client";
import type { Page, Role, User } from "../api/types";
import { Card, ErrorText, PageTitle, Time } from "../components/common";
import { DataTable, type ColumnDef } from "../components/DataTable";
import { useCan, useSession } from "../context";
import { useLoad } from "../lib/hooks";

const ROLES: Role[] = ["viewer", "trader", "admin"];

export function UsersPage() {
  const isAdmin = useCan("admin");
  const { me } = useSession();
  const users = useLoad(() => (isAdmin ? api.get<Page<User>>("/users") : Promise.resolve(null)), "users");
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const act = async (fn: () => Promise<unknown>, done: string) => {
    setError(null);
    setNotice(null);
    try {
      await fn();
      setNotice(done);
      users.reload();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const create = (e: FormEvent) => {
    e.preventDefault();
    void act(async () => {
      await api.post("/users", { username, password, role });
      setUsername("");
      setPassword("");
    }, `User ${username} created`);
  };

  if (!isAdmin) {
    return (
      <div className="page">
        <PageTitle>Users</PageTitle>
        <div className="muted">Only an admin manages users.</div>
      </div>
    );
  }

  const columns: ColumnDef<User>[] = [
    { key: "username", label: "User" },
    {
      key: "role",
      label: "Role",
      render: (u) => (
        <select value={u.role} data-testid={`user-role-${u.username}`} disabled={u.username === me.username}
          onChange={(e) => void act(() => api.patch(`/users/${encodeURIComponent(u.username)}`, { role: e.target.value }),
            `${u.username} is now ${e.target.value}`)}>
          {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
        </select>
      ),
    },
    { key: "disabled", label: "Status", render: (u) => (u.disabled ? <span className="neg">disabled</span> : "active") },
    { key: "created_at", label: "Created", render: (u) => <Time value={u.created_at} /> },
    { key: "last_login", label: "Last login", render: (u) => <Time value={u.last_login} /> },
    {
      key: "actions",
      label: "",
      render: (u) => u.username === me.username ? <span className="muted">you</span> : (
        <button type="button" data-testid={`user-toggle-${u.username}`}
          onClick={() => void act(() => api.patch(`/users/${encodeURIComponent(u.username)}`, { disabled: !u.disabled }),
            `${u.username} ${u.disabled ? "enabled" : "disabled"}`)}>
          {u.disabled ? "Enable" : "Disable"}
        </button>
      ),
    },
  ];

  return (
    <div className="page">
      <PageTitle>Users</PageTitle>
      <ErrorText error={users.error ?? error} />
      {notice && <div className="notice">{notice}</div>}
      <Card title="New user">
        <form className="inline-form" onSubmit={create}>
          <label className="field"><span>Username</span>
            <input data-testid="user-new-name" value={username} onChange={(e) => setUsername(e.target.value)} />
          </label>
          <label className="field"><span>Password</span>
            <input data-testid="user-new-password" type="password" autoComplete="new-password" value={password}
              onChange={(e) => setPassword(e.target.value)} />
          </label>
          <label className="field"><span>Role</span>
            <select data-testid="user-new-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {ROLES.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <button type="submit" className="primary" data-testid="user-create" disabled={!username || !password}>
            Create
          </button>
        </form>
      </Card>
      <Card>
        <DataTable testId="users-table" columns={columns} rows={users.data?.items ?? []} rowId={(u) => u.username} />
      </Card>
    </div>
  );
}
