from .acknowledgements import Acknowledgement
from .campaigns import Assignment, Audience, Campaign, CampaignJob, DueDateExtension

__all__ = [
    "Acknowledgement",
    "Assignment",
    "Audience",
    "Campaign",
    "CampaignJob",
    "DueDateExtension",
]
