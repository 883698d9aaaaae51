"""What the checks and benchmarks against the real binary share: a throwaway data folder,
bootstrap, starting the server on a free loopback port, and PASS/FAIL bookkeeping."""
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gatehouse:
    """One data folder (SQLite, development master key) and the server on one port."""

    def __init__(self, binary, prefix):
        self.binary = os.path.abspath(binary)
        self.work = tempfile.mkdtemp(prefix=prefix)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"

    def bootstrap(self):
        """The platform admin key."""
        output = subprocess.run([self.binary, "bootstrap", "--log-level", "warning"], cwd=self.work, env=self.env,
                                capture_output=True, text=True, check=True).stdout
        return next(line.strip() for line in output.splitlines() if line.strip().startswith("gkadmin_"))

    def start(self, *arguments, quiet=False):
        """`gatehouse serve` with `arguments`, once /health answers."""
        process = subprocess.Popen([self.binary, "serve", "--port", str(self.port), "--log-level", "warning", *arguments],
                                   cwd=self.work, env=self.env, stderr=subprocess.DEVNULL if quiet else None)
        for _ in range(200):
            try:
                if requests.get(self.base + "/health", timeout=1).status_code == 200:
                    return process
            except requests.ConnectionError:
                time.sleep(0.1)
        process.kill()
        raise SystemExit("the server did not start")


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, condition, detail=""):
        self.results.append(bool(condition))
        print(("PASS " if condition else "FAIL ") + name + ("" if condition else f": {detail}"), flush=True)

    def finish(self, label):
        passed = sum(self.results)
        print(f"{label}: {passed} passed, {len(self.results) - passed} failed")
        sys.exit(0 if passed == len(self.results) else 1)
