from .cab import CabVote, VoteDecision, VoteDelegation
from .calendar import BlackoutPeriod, MaintenanceWindow
from .catalogue import ChangeCategory, StandardChangeTemplate, System
from .change import ChangeAttachment, ChangeRequest, ChangeType, CloseCode, State

__all__ = [
    "BlackoutPeriod",
    "CabVote",
    "ChangeAttachment",
    "ChangeCategory",
    "ChangeRequest",
    "ChangeType",
    "CloseCode",
    "MaintenanceWindow",
    "StandardChangeTemplate",
    "State",
    "System",
    "VoteDecision",
    "VoteDelegation",
]
