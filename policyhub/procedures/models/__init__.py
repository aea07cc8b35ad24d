from .pages import EvidenceKind, ProcedurePage, Schedule, StepBlock
from .runs import ProcedureRun, RunStep, SignedRunPdf, StepEvidence

__all__ = [
    "EvidenceKind",
    "ProcedurePage",
    "ProcedureRun",
    "RunStep",
    "Schedule",
    "SignedRunPdf",
    "StepBlock",
    "StepEvidence",
]
