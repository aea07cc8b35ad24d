from .pages import TrainingIndexPage, TrainingModulePage, TrainingModulePolicy
from .records import (
    DueDateExtension,
    LessonProgress,
    QuizAttempt,
    TrainingAssignment,
    TrainingCompletion,
    TrainingRule,
)

__all__ = [
    "DueDateExtension",
    "LessonProgress",
    "QuizAttempt",
    "TrainingAssignment",
    "TrainingCompletion",
    "TrainingIndexPage",
    "TrainingModulePage",
    "TrainingModulePolicy",
    "TrainingRule",
]
