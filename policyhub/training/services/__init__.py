"""State changes of the training app, one function per action.

Each checks permission, runs in a transaction and writes the audit event;
notifications go out after the commit.
"""

from .assignments import (
    TrainingRequired,
    assign_new_member,
    grant_extension,
    grant_extra_attempt,
    move_department,
    reopen_lapsed,
    require_training_for_acknowledgement,
)
from .quiz import QuizError, complete_lesson, start_attempt, submit_attempt
from .rules import assign_for_rule, create_rule, edit_rule, release_rule, retire_rule

__all__ = [
    "QuizError",
    "TrainingRequired",
    "assign_for_rule",
    "assign_new_member",
    "complete_lesson",
    "create_rule",
    "edit_rule",
    "grant_extension",
    "grant_extra_attempt",
    "move_department",
    "release_rule",
    "reopen_lapsed",
    "require_training_for_acknowledgement",
    "retire_rule",
    "start_attempt",
    "submit_attempt",
]
