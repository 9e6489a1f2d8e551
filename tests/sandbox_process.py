"""The sandbox in a process of its own, seeded as `make run` seeds it: for notebook and browser tests.

Under `make run` the kernels reach the sandbox only over HTTP (it lives in the launcher's process),
so the tests that stand for it start ``python -m arize_orgs_nb.sandbox`` and point the kernels at
it with the ``ARIZE_*`` variables. Stdlib only.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

MAKE_RUN_SEED = ("--orgs", "250", "--users", "60", "--seed", "7")  # the defaults of `arize-orgs-nb lab`


@dataclass
class SandboxProcess:
    proc: subprocess.Popen
    port: str
    key: str

    @property
    def env(self) -> dict[str, str]:
        """The variables `make run` gives the kernels."""
        return {
            "ARIZE_API_KEY": self.key,
            "ARIZE_API_HOST": "127.0.0.1",
            "ARIZE_API_PORT": self.port,
            "ARIZE_API_SCHEME": "http",
        }

    def stop(self) -> None:
        """SIGTERM, then reap (the process prints 'stopped' and exits 0)."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()


def start_sandbox_process(db: Path, key: str) -> SandboxProcess:
    """Start the sandbox on a free loopback port, its data in ``db``; wait for its first line."""
    command = [sys.executable, "-m", "arize_orgs_nb.sandbox", "--port", "0", "--api-key", key]
    command += [*MAKE_RUN_SEED, "--db", str(db)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", first)
    if match is None:
        proc.kill()
        rest = proc.communicate()[0]
        raise RuntimeError(f"the sandbox did not start: {first}{rest}")
    return SandboxProcess(proc, match.group(1), key)
