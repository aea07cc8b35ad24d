"""State changes of the training app, one function per action.

Each checks permission, runs in a transaction and writes the audit event;
notifications go out after the commit.
"""

from .assignments import (
    TrainingRequired,
    assign_for_rule,
    assign_new_member,
    create_rule,
    grant_extension,
    grant_extra_attempt,
    reopen_lapsed,
    require_training_for_acknowledgement,
)
from .quiz import QuizError, complete_lesson, start_attempt, submit_attempt

__all__ = [
    "QuizError",
    "TrainingRequired",
    "assign_for_rule",
    "assign_new_member",
    "complete_lesson",
    "create_rule",
    "grant_extension",
    "grant_extra_attempt",
    "reopen_lapsed",
    "require_training_for_acknowledgement",
    "start_attempt",
    "submit_attempt",
]
