from .pages import Classification, PolicyIndexPage, PolicyPage
from .versions import ChangeType, PolicyApproval, PolicyVersion
from .workflow_tasks import ApproverGroupTask, OwnerReviewTask

__all__ = [
    "ApproverGroupTask",
    "ChangeType",
    "Classification",
    "OwnerReviewTask",
    "PolicyApproval",
    "PolicyIndexPage",
    "PolicyPage",
    "PolicyVersion",
]
