"""A throwaway PostgreSQL cluster for a test run: initdb in a temporary folder, a free port.

Started once per test run (the ``pg_server`` session fixture) and stopped at its end.
Each test then gets a database of its own, cloned from a migrated template (fast).
Needs Debian's ``postgresql`` package (``packaging/install-deps.sh --test`` installs it).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

INSTALL_HINT = ("PostgreSQL server binaries (initdb, pg_ctl) were not found: install "
                "Debian's postgresql package (packaging/install-deps.sh --test does).")


def find_bin() -> Path | None:
    """The newest installed PostgreSQL bin folder, or ``None``."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """One cluster: ``start()``, ``url(dbname)``, ``create_database()``, ``stop()``."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="cc-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        # initdb and postgres refuse to run as root: run them as the postgres user then.
        self.run_as: list[str] = []
        if os.geteuid() == 0:
            self.run_as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.root, "postgres")
            os.chmod(self.root, 0o700)

    def _run(self, *args: str) -> None:
        result = subprocess.run([*self.run_as, *args], capture_output=True, text=True,
                                timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed ({result.returncode}): "
                               f"{(result.stderr or result.stdout)[-2000:]}")

    def _make_certificates(self) -> None:
        """A throwaway CA and a server certificate for 127.0.0.1/localhost (TLS tests)."""
        tls = self.root / "tls"
        tls.mkdir()
        self.ca_file = tls / "root.crt"
        cert, key = tls / "server.crt", tls / "server.key"

        def openssl(*args: str) -> None:
            subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=cc-test-ca", "-keyout", str(tls / "ca.key"),
                "-out", str(self.ca_file))
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost",
                "-keyout", str(key), "-out", str(tls / "server.csr"))
        (tls / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
        openssl("x509", "-req", "-in", str(tls / "server.csr"), "-CA", str(self.ca_file),
                "-CAkey", str(tls / "ca.key"), "-CAcreateserial", "-days", "2",
                "-extfile", str(tls / "san.ext"), "-out", str(cert))
        os.chmod(key, 0o600)
        if self.run_as:
            for path in (tls, cert, key, self.ca_file):
                shutil.chown(path, "postgres")
        self.tls_options = f" -c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"

    def start(self) -> PgServer:
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
                  "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        self.tls_options = ""
        self.ca_file: Path | None = None
        if shutil.which("openssl"):
            self._make_certificates()
        # A test cluster: durability off (the data dies with the run), sockets in our folder.
        options = (f"-p {self.port} -c listen_addresses=127.0.0.1 "
                   f"-c unix_socket_directories={self.root} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
                   + self.tls_options)
        self._options = options
        self.resume()
        return self

    def pause(self) -> None:
        """Stop the server (an outage): every connection drops and none can be made."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l",
                  str(self.root / "postgres.log"), "-o", self._options, "-w", "-t", "60",
                  "start")

    def url(self, dbname: str = "postgres", user: str = "postgres") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{dbname}"

    def admin(self, sql: str) -> None:
        """Run one statement as the superuser, outside a transaction (CREATE DATABASE...)."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(sql)  # type: ignore[arg-type]  # built from our own names

    def create_database(self, template: str | None = None) -> str:
        """A new empty (or ``template``-cloned) database; returns its URL."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        self.admin(f"CREATE DATABASE {name}{clause}")
        return self.url(name)

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                      "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)
