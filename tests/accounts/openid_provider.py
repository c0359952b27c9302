"""Runs the real OpenID Provider (tests/accounts/oidc_provider: the npm ``oidc-provider``
package under Node) for the SSO tests, on a free port.

``make test`` installs its npm dependencies (the ``oidc-provider-deps`` target); without them
the fixture fails naming the command.
"""

import json
import os
import socket
import subprocess
import time
from pathlib import Path

import httpx

FIXTURE_DIR = Path(__file__).parent / "oidc_provider"
CLIENT_SECRET = "test-only-client-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OpenIDProvider:
    """A running provider; ``set_account(name, **claims)`` changes what it says about a person
    (read at each sign-in)."""

    def __init__(self, workdir: Path, inbox_url: str, provider_ids: dict[str, dict]):
        if not (FIXTURE_DIR / "node_modules" / "oidc-provider").is_dir():
            raise RuntimeError(
                f"oidc-provider is not installed: run `cd {FIXTURE_DIR} && npm install` "
                "(make test does)"
            )
        self.port = free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.accounts_file = workdir / "accounts.json"
        self.accounts: dict[str, dict] = {}
        self._write()
        clients = [
            {
                "client_id": client_id,
                "client_secret": CLIENT_SECRET,
                "redirect_uris": [
                    f"{inbox_url}/accounts/oidc/{pid}/login/callback/"
                    for pid, spec in provider_ids.items()
                    if spec.get("client_id", "inbox") == client_id
                ],
                "id_token_ttl": ttl,
            }
            for client_id, ttl in {
                spec.get("client_id", "inbox"): spec.get("id_token_ttl", 600)
                for spec in provider_ids.values()
            }.items()
        ]
        self.log = open(workdir / "oidc-provider.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(
            ["node", str(FIXTURE_DIR / "provider.mjs")],
            env={
                **os.environ,
                "OP_PORT": str(self.port),
                "OP_CLIENTS": json.dumps(clients),
                "OP_ACCOUNTS": str(self.accounts_file),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{self.issuer}/.well-known/openid-configuration", timeout=1)
                break
            except httpx.HTTPError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        "oidc-provider did not start: "
                        + (workdir / "oidc-provider.log").read_text()
                    ) from None
                time.sleep(0.1)

    def _write(self):
        self.accounts_file.write_text(json.dumps(self.accounts))

    def set_account(self, username: str, **claims):
        self.accounts[username] = claims
        self._write()

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()

    def app(self, provider_id: str, name: str, **settings) -> dict:
        """An allauth openid_connect APP entry (as config/sso.py makes from OIDC_PROVIDERS)."""
        client_id = settings.pop("client_id", "inbox")
        return {
            "provider_id": provider_id,
            "name": name,
            "client_id": client_id,
            "secret": CLIENT_SECRET,
            "settings": {
                "server_url": self.issuer,
                "scope": ["openid", "profile", "email", "groups"],
                "groups_claim": "groups",
                **settings,
            },
        }
