"""UiPath case templates: the case types, their stages, and which stages hold an action task."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class Action:
    title: str
    type: str  # FormTask | ExternalTask | AppTask
    group: str
    priority: str


@dataclass(frozen=True)
class Stage:
    name: str
    automated: tuple[tuple[str, str], ...]  # (task type, display name)
    action: Action | None
    sla: tuple[int, str]


@dataclass(frozen=True)
class Template:
    key: str
    name: str
    stages: tuple[Stage, ...]


@functools.lru_cache(maxsize=1024)
def _sid(*parts: object) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()[:8]


TEMPLATES = (
    Template(
        "LoanApplication",
        "Loan application",
        (
            Stage("Intake", (("rpa", "Extract application data"),), None, (1, "d")),
            Stage(
                "Underwriting",
                (("agent", "Score credit risk"),),
                Action("Review loan application", "FormTask", "finance", "High"),
                (2, "d"),
            ),
            Stage(
                "Approval", (), Action("Approve loan", "AppTask", "finance", "Critical"), (1, "d")
            ),
            Stage("Disbursement", (("api-workflow", "Disburse funds"),), None, (4, "h")),
        ),
    ),
    Template(
        "InsuranceClaim",
        "Insurance claim",
        (
            Stage("Triage", (("agent", "Classify claim"),), None, (4, "h")),
            Stage(
                "Adjuster review",
                (),
                Action("Review claim evidence", "FormTask", "support", "Medium"),
                (3, "d"),
            ),
            Stage(
                "Settlement",
                (("process", "Compute settlement"),),
                Action("Approve settlement", "ExternalTask", "finance", "High"),
                (1, "w"),
            ),
            Stage("Payout", (("rpa", "Issue payment"),), None, (1, "d")),
        ),
    ),
    Template(
        "VendorOnboarding",
        "Vendor onboarding",
        (
            Stage(
                "Document collection",
                (),
                Action("Collect vendor documents", "FormTask", "support", "Low"),
                (1, "w"),
            ),
            Stage("Compliance check", (("agent", "Screen sanctions lists"),), None, (1, "d")),
            Stage(
                "Contract sign-off",
                (),
                Action("Sign off vendor contract", "AppTask", "legal", "High"),
                (2, "d"),
            ),
        ),
    ),
    Template(
        "ContractRenewal",
        "Contract renewal",
        (
            Stage("Draft", (("process", "Generate renewal draft"),), None, (1, "d")),
            Stage(
                "Legal review",
                (),
                Action("Review renewal terms", "FormTask", "legal", "Medium"),
                (3, "d"),
            ),
            Stage(
                "Customer confirmation",
                (("external-agent", "Collect customer confirmation"),),
                None,
                (1, "m"),
            ),
        ),
    ),
)
BY_KEY = {t.key: t for t in TEMPLATES}
STATUS_WEIGHTS = (
    ("Running", 50),
    ("Completed", 18),
    ("Paused", 8),
    ("Faulted", 8),
    ("Cancelled", 8),
    ("Pending", 8),
)
