"""Which connector serves which kind of source."""

from inbox.models import Source
from inbox.sync.base import TASK_ACTIONS, Capabilities, Connector, SourceConfig


def connector_class(kind: str) -> type[Connector]:
    from inbox.sync.cloudflare import CloudflareConnector
    from inbox.sync.docusign import DocuSignConnector
    from inbox.sync.littlehorse import LittleHorseConnector
    from inbox.sync.strategy import StrategyConnector
    from inbox.sync.uipath import UiPathConnector

    classes = {
        Source.Kind.UIPATH: UiPathConnector,
        Source.Kind.DOCUSIGN: DocuSignConnector,
        Source.Kind.CLOUDFLARE: CloudflareConnector,
        Source.Kind.STRATEGY: StrategyConnector,
        Source.Kind.LITTLEHORSE: LittleHorseConnector,
    }
    if kind not in classes:
        raise ValueError(f"no connector for sources of kind {kind!r}")
    return classes[kind]


def connector_for(source: Source) -> Connector:
    config = SourceConfig(
        name=source.name,
        kind=source.kind,
        base_url=source.base_url,
        credentials=dict(source.credentials or {}),
        watch=dict(source.watch or {}),
    )
    return connector_class(source.kind)(config)


LOCAL_CAPABILITIES = Capabilities(
    label="The inbox",
    task_actions=TASK_ACTIONS,
    case_actions=frozenset(),
    instead={},
)


def capabilities(kind: str) -> Capabilities:
    """What sources of ``kind`` support; the built-in local source supports every task action."""
    if kind == Source.Kind.LOCAL:
        return LOCAL_CAPABILITIES
    return connector_class(kind).capabilities()
