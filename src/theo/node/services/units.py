"""systemd units for the services: one ``theo-<name>.service`` each, a database migration that runs first, and
``theo-services.target`` that starts them all.

Each service unit is ``Type=notify``: systemd counts it started when the service says READY (connected to
NATS and the database), restarts it when it exits with an error (``Restart=on-failure``) or stops pinging the
watchdog (``WatchdogSec``, a hung process), and gives up after 5 failed starts in 10 minutes, as
``deploy/theo.service`` does. System units carry the same hardening as that unit; user units (``--user``)
keep the options an unprivileged systemd honours.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from theo.node.services import SERVICES

TARGET = "theo-services.target"
MIGRATE = "theo-db-upgrade.service"

HARDENING = """\
# Hardening (as deploy/theo.service): the network, the state directory and nothing else.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths={workdir} /var/log/theo
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
RestrictSUIDSGID=yes
RestrictRealtime=yes
RestrictNamespaces=yes
LockPersonality=yes
RemoveIPC=yes
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX
"""

USER_HARDENING = """\
# Hardening an unprivileged systemd honours.
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
"""


@dataclass(frozen=True)
class UnitSettings:
    """Where the units point: the ``theo`` program, the config file, the working directory, the user mode."""

    exe: Path
    config: Path
    workdir: Path
    user: bool = False
    watchdog_seconds: int = 30
    env_file: str = "/etc/theo/theo.env"
    account: str = "theo"


def _head(s: UnitSettings) -> str:
    lines = [f"WorkingDirectory={s.workdir}", f"EnvironmentFile=-{s.env_file}", "Environment=PYTHONUNBUFFERED=1"]
    if not s.user:
        lines[:0] = [f"User={s.account}", f"Group={s.account}"]
    return "\n".join(lines) + "\n"


def service_unit(name: str, s: UnitSettings) -> str:
    """The unit of service ``name``."""
    spec = SERVICES[name]
    after = "network-online.target nats-server.service postgresql.service " + MIGRATE
    watchdog = f"WatchdogSec={s.watchdog_seconds}\n" if s.watchdog_seconds else ""
    hardening = USER_HARDENING if s.user else HARDENING.format(workdir=s.workdir)
    dirs = "" if s.user else ("StateDirectory=theo\nStateDirectoryMode=0750\nLogsDirectory=theo\n"
                              "LogsDirectoryMode=0750\nUMask=0027\n")
    return f"""# Theo {name} service: {spec.summary}. Written by `theo service install`.
# Logs: journalctl {'--user ' if s.user else ''}-u theo-{name} -f   Guide: docs/services.md
[Unit]
Description=Theo {name} ({spec.summary})
After={after}
Wants=network-online.target
Requires={MIGRATE}
PartOf={TARGET}
# Give up after 5 failed starts in 10 minutes (a bad config will not fix itself): see the journal.
StartLimitIntervalSec=600
StartLimitBurst=5

[Service]
Type=notify
NotifyAccess=main
{watchdog}{_head(s)}ExecStart={s.exe} service run {name} --config {s.config}
# SIGINT stops it like Ctrl-C: finish the current message, send what is queued, close the store.
KillSignal=SIGINT
TimeoutStartSec=300
TimeoutStopSec=60
Restart=on-failure
RestartSec=5
{dirs}
{hardening}
[Install]
WantedBy={TARGET}
"""


def migrate_unit(s: UnitSettings) -> str:
    """A one-shot ``theo db upgrade`` the services wait for (one migration, not one per service)."""
    return f"""# Theo: validate the config and migrate the store before the services start.
# Written by `theo service install`.
[Unit]
Description=Theo store migration (theo db upgrade)
After=network-online.target postgresql.service
Wants=network-online.target

[Service]
Type=oneshot
RemainAfterExit=yes
{_head(s)}ExecStart={s.exe} config validate {s.config}
ExecStart={s.exe} db upgrade --config {s.config}
{USER_HARDENING}
[Install]
WantedBy={TARGET}
"""


def target_unit(names: list[str], s: UnitSettings) -> str:
    wants = " ".join(f"theo-{n}.service" for n in names)
    return f"""# Theo services: `systemctl {'--user ' if s.user else ''}start {TARGET}` starts them all.
# Written by `theo service install`.
[Unit]
Description=Theo services ({', '.join(names)})
Wants={MIGRATE} {wants}
After={MIGRATE}

[Install]
WantedBy={'default.target' if s.user else 'multi-user.target'}
"""


def write_units(directory: Path, names: list[str], s: UnitSettings) -> list[Path]:
    """Write every unit into ``directory``; return the files written."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {f"theo-{n}.service": service_unit(n, s) for n in names}
    files[MIGRATE] = migrate_unit(s)
    files[TARGET] = target_unit(names, s)
    out = []
    for fname, text in files.items():
        path = directory / fname
        path.write_text(text)
        out.append(path)
    return out
