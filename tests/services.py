"""Real services for tests, each on a free port in a temporary folder, stopped by PID."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
PG_BIN_CANDIDATES = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(
    predicate: Callable[[], object], timeout: float = 5.0, interval: float = 0.02
) -> object:
    """Poll `predicate` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class RedisServer:
    folder: Path
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.folder.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--daemonize",
                "yes",
                "--dir",
                str(self.folder),
                "--pidfile",
                str(self.folder / "redis.pid"),
                "--logfile",
                str(self.folder / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
        )
        client = redis.Redis(port=self.port)
        wait_until(lambda: _pings(client), timeout=5)
        return self

    def stop(self) -> None:
        pidfile = self.folder / "redis.pid"
        if pidfile.exists():
            pid = int(pidfile.read_text())
            _terminate_pid(pid)
            pidfile.unlink(missing_ok=True)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def _terminate_pid(pid: int, timeout: float = 5) -> None:
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)


@dataclass
class PostgresServer:
    """A private cluster run as the `postgres` user (initdb refuses root) on a free port.

    Its folder lives directly in /tmp: pytest's temp folders are root-only (0700), which the
    `postgres` user cannot enter.
    """

    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="rapport-pg-")))
    port: int = field(default_factory=free_port)
    password: str = "rapport-test"  # a throwaway cluster on loopback

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://rapport:{self.password}@127.0.0.1:{self.port}/rapport"

    def _run(self, *args: str) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        # Output goes to a file, not a pipe: the server that `pg_ctl start` leaves running
        # would hold a pipe open and make this call wait forever.
        with (self.folder / "commands.log").open("ab") as log:
            result = subprocess.run([*prefix, *args], stdout=log, stderr=log, check=False)
        if result.returncode != 0:
            tail = (self.folder / "commands.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{' '.join(args[:1])} failed ({result.returncode}):\n{tail}")

    def start(self) -> "PostgresServer":
        if not PG_BIN_CANDIDATES:
            raise RuntimeError("PostgreSQL is not installed: run bin/install --test")
        bin_dir = PG_BIN_CANDIDATES[0]
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o755)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        data = self.folder / "data"
        pwfile = self.folder / "pw"
        pwfile.write_text(self.password)
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(
            str(bin_dir / "initdb"),
            "-D",
            str(data),
            "-U",
            "rapport",
            "--pwfile",
            str(pwfile),
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--no-sync",
        )
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(bin_dir / "pg_ctl"),
            "-w",
            "-D",
            str(data),
            "-l",
            str(self.folder / "postgres.log"),
            "-o",
            options,
            "start",
        )
        # Over the Unix socket, which the cluster trusts: no password prompt.
        self._run(
            str(bin_dir / "createdb"),
            "-h",
            str(self.folder),
            "-p",
            str(self.port),
            "-U",
            "rapport",
            "rapport",
        )
        return self

    def stop(self) -> None:
        bin_dir = PG_BIN_CANDIDATES[0]
        self._run(str(bin_dir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "fast", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


class Process:
    """A child process of ours (worker, clock, web), with its log in a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log: Path) -> None:
        self.name = name
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 20) -> None:
        def seen() -> bool:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited early:\n{self.log_text()[-3000:]}")
            return text in self.log_text()

        wait_until(seen, timeout=timeout, interval=0.05)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, sig)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()


def start_worker(
    env: dict[str, str], log: Path, queues: str = "timers,outbox,outreach,default"
) -> Process:
    process = Process(
        "worker",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.app",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--without-mingle",
            "--without-gossip",
            "--queues",
            queues,
            "--loglevel=INFO",
            "--hostname",
            f"test-{log.stem}@%h",
        ],
        env,
        log,
    )
    process.wait_for_log(" ready.")
    return process


def start_clock(env: dict[str, str], log: Path) -> Process:
    process = Process("clock", [sys.executable, "-m", "workers.clock"], env, log)
    process.wait_for_log("clock: running")
    return process


def start_beat(env: dict[str, str], log: Path) -> Process:
    """`celery beat` with the app's schedule (the sweeps), its state file next to its log."""
    process = Process(
        "beat",
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "workers.app",
            "beat",
            "--schedule",
            str(log.with_suffix(".schedule")),
            "--loglevel=INFO",
        ],
        env,
        log,
    )
    process.wait_for_log("beat: Starting")
    return process


def start_inbound(env: dict[str, str], log: Path) -> Process:
    """`python -m workers.inbound` on RAPPORT_INBOUND_SMTP_PORT of `env`."""
    process = Process("inbound", [sys.executable, "-m", "workers.inbound"], env, log)
    process.wait_for_log("inbound: listening")
    return process


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def start_imap(log: Path) -> tuple[Process, int]:
    """A pymap IMAP server (in-memory, user `demouser`, password `demopass`, no TLS)."""
    port = free_port()
    pymap = str(Path(sys.executable).with_name("pymap"))
    args = [pymap, "--host", "127.0.0.1", "--port", str(port), "--no-tls", "dict"]
    process = Process("imap", args, dict(os.environ), log)
    wait_until(lambda: _accepts(port), timeout=30, interval=0.1)
    return process, port
