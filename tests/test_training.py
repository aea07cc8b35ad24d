"""Training modules: quiz scoring, attempts, recurrence, certificates and the
acknowledgement gate."""

import random
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from policyhub.accounts import roles
from policyhub.attestations.services import acknowledge
from policyhub.exports.signing import verify_pdf_bytes
from policyhub.training.certificates import issue_certificate
from policyhub.training.models import (
    QuizAttempt,
    TrainingAssignment,
    TrainingCompletion,
    TrainingModulePage,
)
from policyhub.training.services import (
    QuizError,
    TrainingRequired,
    grant_extension,
    grant_extra_attempt,
    reopen_lapsed,
    start_attempt,
    submit_attempt,
)
from policyhub.training.services.quiz import draw_questions

from .conftest import make_user
from .test_training_support import (
    SEED_DIR,
    answers_for,
    assignment_for,
    finish_lessons,
    take_quiz,
    write_module,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def module(personas, tmp_path):
    return write_module(tmp_path)


def test_passing_attempt_completes_assignment(personas, module):
    employee = personas["employee"]
    attempt = take_quiz(employee, module)
    assignment = assignment_for(employee, module)
    assert attempt.passed is True
    assert attempt.score_percent == 100
    assert assignment.status == TrainingAssignment.Status.COMPLETED
    completion = TrainingCompletion.objects.get(assignment=assignment)
    assert completion.score_percent == 100
    assert completion.valid_until == assignment.valid_until
    assert completion.valid_until.year == timezone.localdate().year + 1


def test_failing_attempt_keeps_assignment_open(personas, module):
    employee = personas["employee"]
    attempt = take_quiz(employee, module, right=2)
    assignment = assignment_for(employee, module)
    assert attempt.passed is False
    assert attempt.correct_count == 2
    assert attempt.score_percent == 50
    assert assignment.status == TrainingAssignment.Status.OPEN
    assert assignment.attempts_exhausted_at is None
    assert not TrainingCompletion.objects.filter(assignment=assignment).exists()


def test_pass_mark_is_inclusive(personas, module):
    attempt = take_quiz(personas["employee"], module, right=3)
    assert attempt.score_percent == 75
    assert attempt.passed is True


def test_last_failed_attempt_flags_assignment(personas, module):
    employee = personas["employee"]
    take_quiz(employee, module, right=0)
    take_quiz(employee, module, right=1)
    assignment = assignment_for(employee, module)
    assert assignment.attempts_exhausted_at is not None
    assert QuizAttempt.objects.filter(assignment=assignment).count() == 2
    with pytest.raises(QuizError, match="used all 2 attempts"):
        start_attempt(employee, assignment)


def test_extra_attempt_clears_flag(personas, module):
    employee = personas["employee"]
    take_quiz(employee, module, right=0)
    take_quiz(employee, module, right=0)
    assignment = assignment_for(employee, module)
    with pytest.raises(PermissionDenied):
        grant_extra_attempt(personas["approver"], assignment, "Retry")
    grant_extra_attempt(personas["author"], assignment, "Coached on phishing signs.")
    assignment.refresh_from_db()
    assert assignment.attempts_exhausted_at is None
    attempt = take_quiz(employee, module)
    assert attempt.number == 3
    assert attempt.passed is True


def test_attempt_draws_pool_subset(personas, module):
    ids = [block.id for block in module.questions]
    draw = draw_questions(module, rng=random.Random(7))
    assert len(draw) == 4
    assert len(set(draw)) == 4
    assert set(draw) <= set(ids)
    seen = set()
    rng = random.Random(11)
    for _ in range(30):
        seen.update(draw_questions(module, rng=rng))
    assert seen == set(ids)


def test_attempt_stores_drawn_questions(personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, created = start_attempt(employee, assignment)
    again, created_again = start_attempt(employee, assignment)
    assert created is True
    assert created_again is False
    assert again.pk == attempt.pk
    assert len(attempt.question_ids) == 4
    module.refresh_from_db()
    assert attempt.revision_id == module.live_revision_id


def test_swapped_questions_are_rejected(personas, module):
    """Answers to questions outside the draw are ignored, so the drawn ones
    stay unanswered and nothing is scored."""
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    others = [block for block in module.questions if block.id not in attempt.question_ids]
    swapped = {
        block.id: [child.id for child in block.value["choices"].bound_blocks
                   if child.value["correct"]]
        for block in others
    }
    with pytest.raises(QuizError, match="Answer every question"):
        submit_attempt(employee, attempt, swapped)
    attempt.refresh_from_db()
    assert attempt.submitted_at is None


def test_unknown_choice_is_rejected(personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    answers = answers_for(attempt)
    answers[attempt.question_ids[0]] = ["not-a-choice"]
    with pytest.raises(QuizError, match="'not-a-choice' to question 1 is not one"):
        submit_attempt(employee, attempt, answers)


def test_double_submission_creates_one_attempt(personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    first, created = submit_attempt(employee, attempt, answers_for(attempt, right=0))
    second, created_again = submit_attempt(employee, attempt, answers_for(attempt))
    assert created is True
    assert created_again is False
    assert second.score_percent == first.score_percent == 0
    assert QuizAttempt.objects.filter(assignment=assignment).count() == 1


def test_quiz_needs_finished_lessons(personas, module):
    employee = personas["employee"]
    with pytest.raises(QuizError, match="Finish all 2 lessons"):
        start_attempt(employee, assignment_for(employee, module))


def test_other_person_cannot_submit(personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    with pytest.raises(PermissionDenied):
        submit_attempt(personas["owner"], attempt, answers_for(attempt))


def test_recurrence_keeps_earlier_completions(personas, module):
    employee = personas["employee"]
    take_quiz(employee, module)
    assignment = assignment_for(employee, module)
    first_valid_until = assignment.valid_until
    assert reopen_lapsed(first_valid_until, personas["author"]) == 0
    later = first_valid_until + timedelta(days=1)
    assert reopen_lapsed(later, personas["author"]) == 1
    assignment.refresh_from_db()
    assert assignment.status == TrainingAssignment.Status.OPEN
    assert assignment.cycle == 2
    assert assignment.due_date == later + timedelta(days=14)
    assert TrainingCompletion.objects.filter(assignment=assignment).count() == 1
    take_quiz(employee, module)
    cycles = list(
        TrainingCompletion.objects.filter(assignment=assignment)
        .order_by("cycle").values_list("cycle", flat=True)
    )
    assert cycles == [1, 2]
    assert assignment.history.filter(cycle=2).exists()


def test_certificate_verifies_with_signature(personas, module):
    employee = personas["employee"]
    take_quiz(employee, module)
    completion = TrainingCompletion.objects.get(assignment__user=employee)
    completion = issue_certificate(completion.pk)
    pdf = completion.certificate.read()
    result = verify_pdf_bytes(pdf)
    assert result.valid, result.problem
    again = issue_certificate(completion.pk)
    assert again.certificate.name == completion.certificate.name


def test_recompletion_issues_new_certificate(personas, module):
    employee = personas["employee"]
    take_quiz(employee, module)
    assignment = assignment_for(employee, module)
    reopen_lapsed(assignment.valid_until + timedelta(days=1), personas["author"])
    take_quiz(employee, module)
    names = {
        issue_certificate(completion.pk).certificate.name
        for completion in TrainingCompletion.objects.filter(assignment=assignment)
    }
    assert len(names) == 2


def test_acknowledgement_gated_on_training(personas, published_policy, tmp_path):
    page, version = published_policy
    module = write_module(tmp_path, slug="access-training", requires_before=[page.slug])
    employee = personas["employee"]
    with pytest.raises(TrainingRequired, match="'Module access-training'") as raised:
        acknowledge(employee, version, version.content_sha256)
    assert page.title in str(raised.value)
    take_quiz(employee, module)
    ack, created = acknowledge(employee, version, version.content_sha256)
    assert created is True


def test_taught_policy_does_not_gate(personas, published_policy, tmp_path):
    page, version = published_policy
    write_module(tmp_path, slug="access-info", teaches=[page.slug])
    ack, created = acknowledge(personas["employee"], version, version.content_sha256)
    assert created is True


def test_lapsed_completion_gates_again(personas, published_policy, tmp_path):
    page, version = published_policy
    module = write_module(tmp_path, slug="access-yearly", requires_before=[page.slug])
    employee = personas["employee"]
    take_quiz(employee, module)
    TrainingCompletion.objects.filter(assignment__user=employee).update(
        valid_until=timezone.localdate() - timedelta(days=1)
    )
    with pytest.raises(TrainingRequired):
        acknowledge(employee, version, version.content_sha256)


def test_new_joiner_gets_assignment(personas, module, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        joiner = make_user("joiner")
    assignment = assignment_for(joiner, module)
    assert assignment.status == TrainingAssignment.Status.OPEN
    assert assignment.due_date == timezone.localdate() + timedelta(days=14)


def test_new_group_member_gets_assignment(personas, tmp_path, django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    module = write_module(
        tmp_path, slug="engineering", assign=[{"target": "group", "group": "Engineers",
                                               "due_in_days": 30}]
    )
    employee = personas["employee"]
    assert not TrainingAssignment.objects.filter(user=employee, module=module).exists()
    with django_capture_on_commit_callbacks(execute=True):
        employee.groups.add(Group.objects.get(name="Engineers"))
    assert assignment_for(employee, module).due_date == timezone.localdate() + timedelta(days=30)


def test_extension_needs_reason_and_manager(personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    later = assignment.due_date + timedelta(days=10)
    with pytest.raises(PermissionDenied):
        grant_extension(employee, assignment, later, "Holiday")
    with pytest.raises(ValidationError, match="Give a reason"):
        grant_extension(personas["author"], assignment, later, "  ")
    with pytest.raises(ValidationError, match="is not after the current one"):
        grant_extension(personas["author"], assignment, assignment.due_date, "Holiday")
    employee.manager = personas["owner"]
    employee.save()
    extension = grant_extension(personas["owner"], assignment_for(employee, module), later,
                                "Parental leave")
    assignment.refresh_from_db()
    assert assignment.due_date == later
    assert extension.reason == "Parental leave"
    assert extension.previous_due_date == later - timedelta(days=10)


def test_seed_training_is_idempotent(db, capsys):
    call_command("seed_training")
    call_command("seed_training")
    output = capsys.readouterr().out
    assert output.count(": created") == 3
    assert output.count(": unchanged") == 3
    assert TrainingModulePage.objects.count() == 3
    for module in TrainingModulePage.objects.all():
        assert len(module.questions) >= 8
        assert module.questions_per_attempt < len(module.questions)
        assert len(module.lessons) >= 3
    assert len(list(SEED_DIR.glob("*.yaml"))) == 3


def test_seed_security_awareness_passes(personas):
    call_command("seed_training")
    module = TrainingModulePage.objects.get(slug="security-awareness")
    attempt = take_quiz(personas["employee"], module)
    assert attempt.passed is True
    assert len(attempt.question_ids) == 6


def test_quiz_page_hides_answers(client, personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    client.force_login(employee)
    html = client.get(reverse("training:attempt", args=[attempt.pk])).content.decode()
    assert "Question number" in html
    assert "Right answer" in html
    assert "correct" not in html.lower()
    assert "Explanation" not in html
    drawn = [block for block in module.questions if block.id in attempt.question_ids]
    for block in drawn:
        for child in block.value["choices"].bound_blocks:
            assert f'value="{child.id}"' in html


def test_quiz_without_javascript(client, personas, module):
    employee = personas["employee"]
    client.force_login(employee)
    url = reverse("training:module", args=[module.slug])
    for lesson_id in module.lesson_ids():
        client.post(reverse("training:lesson_done", args=[module.slug, lesson_id]))
    response = client.post(reverse("training:quiz_start", args=[module.slug]))
    attempt = QuizAttempt.objects.get(assignment__user=employee)
    assert response.url == reverse("training:attempt", args=[attempt.pk])
    empty = client.post(response.url, {})
    assert empty.status_code == 400
    assert "Answer every question" in empty.content.decode()
    form = {f"q-{qid}": ids for qid, ids in answers_for(attempt).items()}
    result = client.post(response.url, form, follow=True)
    assert "You scored 100%" in result.content.decode()
    assert "Download your certificate" in result.content.decode()
    page = client.get(url).content.decode()
    assert "You completed this module" in page


def test_other_people_cannot_open_attempt(client, personas, module):
    employee = personas["employee"]
    assignment = assignment_for(employee, module)
    finish_lessons(employee, assignment)
    attempt, _ = start_attempt(employee, assignment)
    client.force_login(personas["owner"])
    assert client.get(reverse("training:attempt", args=[attempt.pk])).status_code == 404


def test_certificate_download_restricted(client, personas, module):
    employee = personas["employee"]
    take_quiz(employee, module)
    completion = TrainingCompletion.objects.get(assignment__user=employee)
    url = reverse("training:certificate", args=[completion.pk])
    client.force_login(personas["owner"])
    assert client.get(url).status_code == 404
    client.force_login(employee)
    response = client.get(url)
    assert response.status_code == 200
    assert verify_pdf_bytes(response.content).valid


def test_employee_cannot_see_report(client, personas):
    client.force_login(personas["employee"])
    assert client.get(reverse("training:report")).status_code == 403
    assert client.get(reverse("training:report_export", args=["csv"])).status_code == 403
    assert client.get(reverse("training:assign")).status_code == 403


def test_assign_form_assigns_group(client, personas, tmp_path,
                                   django_capture_on_commit_callbacks):
    from django.contrib.auth.models import Group

    module = write_module(tmp_path, slug="approver-module", assign=[])
    client.force_login(personas["author"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("training:assign"), {
            "module": module.pk, "target": "group",
            "group": Group.objects.get(name=roles.APPROVERS).pk, "due_in_days": 20,
        })
    assert response.status_code == 302
    assigned = set(
        TrainingAssignment.objects.filter(module=module).values_list("user__username", flat=True)
    )
    assert assigned == {"approver", "approver2"}
    missing = client.post(reverse("training:assign"), {
        "module": module.pk, "target": "group", "due_in_days": 20,
    })
    assert missing.status_code == 400
    assert "Choose the group or role" in missing.content.decode()



def test_admin_edits_module_page(client, personas, module):
    admin = make_user("editor")
    admin.is_superuser = True
    admin.save()
    client.force_login(admin)
    response = client.get(f"/admin/pages/{module.pk}/edit/")
    assert response.status_code == 200
    assert "Policies this module teaches" in response.content.decode()


def test_single_choice_needs_one_answer():
    from wagtail.blocks.struct_block import StructBlockValidationError

    from policyhub.training.blocks import QuestionBlock

    block = QuestionBlock()
    value = block.to_python({
        "prompt": "Which?", "kind": "single", "explanation": "",
        "choices": [{"text": "A", "correct": True}, {"text": "B", "correct": True}],
    })
    with pytest.raises(StructBlockValidationError) as raised:
        block.clean(value)
    assert "exactly one correct choice, not 2" in str(raised.value.non_block_errors)
    value["kind"] = "multiple"
    assert block.clean(value)["kind"] == "multiple"


def test_compliance_admin_can_publish_modules(personas, module):
    permissions = module.permissions_for_user(personas["author"])
    assert permissions.can_edit()
    assert permissions.can_publish()
    assert not module.permissions_for_user(personas["employee"]).can_edit()


def test_portal_names_required_module(personas, published_policy, tmp_path, client):
    page, version = published_policy
    write_module(tmp_path, slug="access-portal", requires_before=[page.slug])
    client.force_login(personas["employee"])
    response = client.post(
        f"/acknowledgements/versions/{version.pk}/",
        {"content_sha256": version.content_sha256, "confirm": "on"},
        follow=True,
    )
    assert response.status_code == 200
    assert "Module access-portal" in response.content.decode()
