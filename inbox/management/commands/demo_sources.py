"""Sources pointing at the local engine simulators (``python -m simulators``), for the demo.

Idempotent: sources are created or updated by name. Their identities are the simulators'
documented defaults (simulators/README.md).
"""

from django.core.management.base import BaseCommand

from inbox.models import Source
from inbox.tasks import enqueue_source_poll

UIPATH_FOLDER_KEY = "2f9c1a54-7b3e-4d2a-9c61-5e8f0b7d4a13"
UIPATH_FOLDER_ID = 1001


def strategy_instance_sids(seed: int) -> list[str]:
    """The strategy simulator has no list endpoint; its seeded SIDs are deterministic."""
    from simulators import data
    from simulators.strategy import Strategy

    engine = Strategy(seed=seed, scale=None, token="sim-token", anchor=data.parse_anchor(None))
    return engine.ctl_ids()


class Command(BaseCommand):
    help = "Create or update one source per simulated engine and queue a first poll of each."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8100, help="The simulators' control port.")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--interval", type=int, default=5, help="Seconds between polls.")
        parser.add_argument("--no-poll", action="store_true", help="Do not queue first polls.")

    def handle(self, *args, host, port, seed, interval, no_poll, **options):
        def url(offset, path=""):
            return f"http://{host}:{port + offset}{path}"

        token = {"token": "sim-token"}
        specs = {
            "uipath-demo": (
                Source.Kind.UIPATH,
                url(1),
                token,
                {
                    "org": "acme",
                    "tenant": "prod",
                    "folder_key": UIPATH_FOLDER_KEY,
                    "folder_id": UIPATH_FOLDER_ID,
                },
            ),
            "docusign-demo": (
                Source.Kind.DOCUSIGN,
                url(2),
                token,
                {"account_id": "acc-1", "workflow_ids": ["wf-1"]},
            ),
            "cloudflare-demo": (
                Source.Kind.CLOUDFLARE,
                url(3, "/client/v4"),
                token,
                {"account_id": "acc-1", "workflows": ["approvals"]},
            ),
            "strategy-demo": (
                Source.Kind.STRATEGY,
                url(4),
                {**token, "secret": "sim-secret"},
                {"instance_sids": strategy_instance_sids(seed)},
            ),
            "littlehorse-demo": (Source.Kind.LITTLEHORSE, url(5), token, {"tenant": "default"}),
        }
        for name, (kind, base_url, credentials, watch) in specs.items():
            source, created = Source.objects.update_or_create(
                name=name,
                defaults={
                    "kind": kind,
                    "base_url": base_url,
                    "credentials": credentials,
                    "watch": watch,
                    "poll_interval": interval,
                    "enabled": True,
                },
            )
            self.stdout.write(f"{'created' if created else 'updated'} source {name} -> {base_url}")
            if not no_poll:
                enqueue_source_poll(source.pk)
