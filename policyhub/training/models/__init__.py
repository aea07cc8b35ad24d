from .pages import TrainingIndexPage, TrainingModulePage, TrainingModulePolicy
from .phishing import PhishingExercise, PhishingImport, PhishingResult
from .records import (
    DueDateExtension,
    LessonProgress,
    QuizAttempt,
    TrainingAssignment,
    TrainingCompletion,
    TrainingRule,
)
from .suspensions import AccessSuspension

__all__ = [
    "AccessSuspension",
    "DueDateExtension",
    "LessonProgress",
    "PhishingExercise",
    "PhishingImport",
    "PhishingResult",
    "QuizAttempt",
    "TrainingAssignment",
    "TrainingCompletion",
    "TrainingIndexPage",
    "TrainingModulePage",
    "TrainingModulePolicy",
    "TrainingRule",
]
