"""Helpers shared by the training test modules; this module has no tests."""

from pathlib import Path

import yaml

from policyhub.training.models import TrainingAssignment
from policyhub.training.seeding import load_module
from policyhub.training.services import complete_lesson, start_attempt, submit_attempt
from policyhub.training.services.quiz import attempt_questions, choice_ids, correct_choice_ids

from .conftest import REPO

SEED_DIR = REPO / "training_seed"


def write_module(tmp_path, slug="quiz-basics", questions=6, draw=4, max_attempts=2,
                 pass_mark=75, assign=None, requires_before=(), teaches=()):
    """Write and load a small module with numbered single-choice questions."""
    data = {
        "title": f"Module {slug}",
        "slug": slug,
        "summary": "A module for tests.",
        "questions_per_attempt": draw,
        "pass_mark_percent": pass_mark,
        "max_attempts": max_attempts,
        "validity_months": 12,
        "assign": assign if assign is not None else [{"target": "everyone"}],
        "requires_before": list(requires_before),
        "teaches": list(teaches),
        "lessons": [{"title": "First lesson", "body": "Lesson text."},
                    {"title": "Second lesson", "body": "More text."}],
        "questions": [
            {"prompt": f"Question number {n}?", "kind": "single",
             "explanation": f"Explanation {n}.",
             "choices": [{"text": f"Right answer {n}", "correct": True},
                         {"text": f"Wrong answer {n}", "correct": False}]}
            for n in range(questions)
        ],
    }
    path = Path(tmp_path) / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(data))
    module, _ = load_module(path)
    return module


def assignment_for(user, module):
    return TrainingAssignment.objects.get(user=user, module=module)


def finish_lessons(user, assignment):
    for lesson_id in assignment.module.lesson_ids():
        complete_lesson(user, assignment, lesson_id)


def answers_for(attempt, right=None):
    """Return answers for ``attempt``: the first ``right`` questions correct
    (all when None), the rest wrong."""
    answers = {}
    for position, (qid, question) in enumerate(attempt_questions(attempt)):
        correct = correct_choice_ids(question)
        if right is None or position < right:
            answers[qid] = sorted(correct)
        else:
            answers[qid] = [next(c for c in choice_ids(question) if c not in correct)]
    return answers


def take_quiz(user, module, right=None):
    """Finish the lessons, start an attempt and submit it; return the attempt."""
    assignment = assignment_for(user, module)
    finish_lessons(user, assignment)
    attempt, _ = start_attempt(user, assignment)
    attempt, _ = submit_attempt(user, attempt, answers_for(attempt, right))
    return attempt

