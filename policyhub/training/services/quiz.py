"""Lesson progress and quiz attempts, scored on the server."""

import logging
import secrets

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone

from ...audit.services import record_event
from ..models import LessonProgress, QuizAttempt, TrainingAssignment, TrainingCompletion
from .suspensions import lift_if_cleared

logger = logging.getLogger(__name__)


class QuizError(Exception):
    """Raised when a quiz action is not allowed; the message gives the reason."""


def _own_assignment(user, assignment):
    if assignment.user_id != user.pk:
        raise PermissionDenied("This training is assigned to someone else.")


def complete_lesson(user, assignment, lesson_id):
    """Record that ``user`` finished a lesson in the current cycle; return
    (progress, created)."""
    _own_assignment(user, assignment)
    if lesson_id not in assignment.module.lesson_ids():
        raise QuizError(f"Lesson {lesson_id!r} is not part of {assignment.module.title!r}; "
                        "reload the module and try again.")
    try:
        with transaction.atomic():
            progress = LessonProgress.objects.create(
                assignment=assignment, cycle=assignment.cycle, lesson_id=lesson_id
            )
        return progress, True
    except IntegrityError:
        return LessonProgress.objects.get(
            assignment=assignment, cycle=assignment.cycle, lesson_id=lesson_id
        ), False


def lessons_done(assignment):
    return set(
        LessonProgress.objects.filter(assignment=assignment, cycle=assignment.cycle)
        .values_list("lesson_id", flat=True)
    )


def draw_questions(module, rng=None):
    """Return ``questions_per_attempt`` question ids drawn at random from the pool."""
    rng = rng or secrets.SystemRandom()
    pool = [block.id for block in module.questions]
    count = min(module.questions_per_attempt, len(pool))
    return rng.sample(pool, count)


def start_attempt(user, assignment, request=None):
    """Return (attempt, created): the open attempt, or a new one with freshly
    drawn questions.

    The drawn question ids and the live revision are stored, so the answers
    are scored against the questions that were shown.
    """
    _own_assignment(user, assignment)
    module = assignment.module
    with transaction.atomic():
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        open_attempt = row.attempts.filter(submitted_at__isnull=True).first()
        if open_attempt is not None:
            return open_attempt, False
        if row.status == TrainingAssignment.Status.COMPLETED:
            raise QuizError(
                f"You completed {module.title!r}; it is valid until "
                f"{row.valid_until:%d %b %Y}."
            )
        missing = set(module.lesson_ids()) - lessons_done(row)
        if missing:
            raise QuizError(
                f"Finish all {len(module.lesson_ids())} lessons before the quiz; "
                f"{len(missing)} still to do."
            )
        used = row.attempts.filter(cycle=row.cycle).count()
        if used >= row.attempts_allowed:
            raise QuizError(
                f"You used all {row.attempts_allowed} attempts at {module.title!r}; "
                "your line manager has been told and can arrange more."
            )
        attempt = QuizAttempt.objects.create(
            assignment=row, cycle=row.cycle, number=used + 1,
            revision_id=module.live_revision_id, question_ids=draw_questions(module),
        )
        record_event(
            "training.attempt_started", actor=user, obj=attempt, request=request,
            detail={"module": module.slug, "cycle": row.cycle, "number": attempt.number},
        )
    return attempt, True


def attempt_questions(attempt):
    """Return [(question id, question value)] of the attempt, in drawn order,
    from the page revision the attempt started on."""
    module = attempt.revision.as_object()
    questions = module.questions_by_id()
    return [(qid, questions[qid]) for qid in attempt.question_ids if qid in questions]


def choice_ids(question):
    return [child.id for child in question["choices"].bound_blocks]


def correct_choice_ids(question):
    return {
        child.id for child in question["choices"].bound_blocks if child.value["correct"]
    }


def clean_answers(attempt, questions, answers):
    """Check ``answers`` ({question id: [choice id]}) against the drawn
    questions; return them normalised or raise QuizError."""
    cleaned = {}
    unanswered = []
    for position, (qid, question) in enumerate(questions, start=1):
        selected = [value for value in answers.get(qid, []) if value]
        if not selected:
            unanswered.append(str(position))
            continue
        valid = set(choice_ids(question))
        unknown = [value for value in selected if value not in valid]
        if unknown:
            raise QuizError(
                f"Answer {unknown[0]!r} to question {position} is not one of its choices; "
                "reload the quiz and answer again."
            )
        if question["kind"] == "single" and len(selected) > 1:
            raise QuizError(f"Question {position} takes one answer; choose one.")
        cleaned[qid] = sorted(set(selected))
    if unanswered:
        raise QuizError(f"Answer every question; question {', '.join(unanswered)} "
                        f"{'has' if len(unanswered) == 1 else 'have'} no answer.")
    return cleaned


def score(questions, answers):
    """Return (correct count, per cent); a question scores only when exactly
    its correct choices are selected."""
    correct = sum(
        1 for qid, question in questions if set(answers.get(qid, [])) == correct_choice_ids(question)
    )
    percent = round(100 * correct / len(questions)) if questions else 0
    return correct, percent


def submit_attempt(user, attempt, answers, request=None):
    """Score ``attempt`` with ``answers``; return (attempt, newly_submitted).

    A second submission of the same attempt changes nothing and returns the
    first result. A pass completes the assignment's cycle and queues the
    certificate; failing the last allowed attempt flags the assignment for the
    line manager.
    """
    assignment = attempt.assignment
    _own_assignment(user, assignment)
    module = assignment.module
    questions = attempt_questions(attempt)
    with transaction.atomic():
        # Lock the assignment first, as start_attempt does, then the attempt.
        row = TrainingAssignment.objects.select_for_update().get(pk=assignment.pk)
        attempt = QuizAttempt.objects.select_for_update().get(pk=attempt.pk)
        if attempt.is_submitted:
            return attempt, False
        cleaned = clean_answers(attempt, questions, answers)
        correct, percent = score(questions, cleaned)
        now = timezone.now()
        attempt.answers = cleaned
        attempt.correct_count = correct
        attempt.score_percent = percent
        attempt.passed = percent >= module.pass_mark_percent
        attempt.submitted_at = now
        attempt.save()
        record_event(
            "training.attempt_submitted", actor=user, obj=attempt, request=request,
            detail={"module": module.slug, "cycle": attempt.cycle, "number": attempt.number,
                    "score_percent": percent, "passed": attempt.passed},
        )
        if attempt.passed and row.status == TrainingAssignment.Status.OPEN:
            completion = _complete(user, row, attempt, now)
            transaction.on_commit(lambda: _queue_certificate(completion.pk))
        elif not attempt.passed and attempt.number >= row.attempts_allowed:
            _flag_exhausted(user, row, now)
            transaction.on_commit(lambda: _queue_exhausted_notice(row.pk))
    return attempt, True


def _complete(user, row, attempt, now):
    valid_until = timezone.localdate(now) + relativedelta(months=row.module.validity_months)
    completion = TrainingCompletion.objects.create(
        assignment=row, cycle=row.cycle, attempt=attempt, completed_at=now,
        score_percent=attempt.score_percent, valid_until=valid_until,
    )
    row.status = TrainingAssignment.Status.COMPLETED
    row.valid_until = valid_until
    row._history_user = user
    row._change_reason = f"Passed the quiz with {attempt.score_percent}%"
    row.save(update_fields=["status", "valid_until"])
    record_event(
        "training.completed", actor=user, obj=completion,
        detail={"module": row.module.slug, "cycle": row.cycle,
                "score_percent": attempt.score_percent, "valid_until": valid_until.isoformat()},
    )
    lift_if_cleared(user.pk, timezone.localdate(now), f"Completed {row.module.title}.", user, "")
    return completion


def _flag_exhausted(user, row, now):
    row.attempts_exhausted_at = now
    row._history_user = user
    row._change_reason = "Failed the last allowed quiz attempt"
    row.save(update_fields=["attempts_exhausted_at"])
    record_event(
        "training.attempts_exhausted", actor=user, obj=row,
        detail={"module": row.module.slug, "cycle": row.cycle,
                "manager": row.user.manager_id},
    )


def _queue_certificate(completion_id):
    from ..tasks import issue_certificate_task

    issue_certificate_task.delay(completion_id)


def _queue_exhausted_notice(assignment_id):
    from ..tasks import notify_attempts_exhausted_task

    notify_attempts_exhausted_task.delay(assignment_id)
