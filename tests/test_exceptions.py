"""Policy exceptions: approval with separation of duties, limits, expiry, flags."""

import datetime
import io
import uuid

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook

from policyhub.audit.models import AuditEvent
from policyhub.exceptions import services
from policyhub.exceptions.models import PolicyException
from policyhub.exceptions.statements import statements_of
from policyhub.exports.signing import verify_pdf_bytes

from .conftest import edit_and_approve, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def risk_owner(personas):
    return make_user("riskowner", "Risk Owners")


def ask(personas, version, impact="low", likelihood="low", days=90, statements=("AC-11",), user="employee"):
    exception, _ = services.request_exception(
        personas[user], version, token=uuid.uuid4(), statements=list(statements),
        scope="Legacy mainframe terminals", business_reason="Vendor cannot support it yet",
        impact=impact, likelihood=likelihood, compensating_controls="Network isolation",
        end_date=timezone.localdate() + datetime.timedelta(days=days),
    )
    return exception


def test_statements_read_from_snapshot(published_policy):
    _, version = published_policy
    statements = statements_of(version)
    assert "AC-11" in statements
    assert "12 characters" in statements["AC-11"]


def test_approver_group_member_approves(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version)
    assert exception.risk_level == "low"
    services.decide(exception, personas["approver"], "approver", True, "Accepted")
    exception = PolicyException.objects.get(pk=exception.pk)
    assert exception.state == "approved"
    assert AuditEvent.objects.filter(action="exception.decided").exists()


def test_requester_cannot_approve_own(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version, user="approver")
    assert services.roles_user_may_decide(exception, personas["approver"]) == []
    with pytest.raises(PermissionDenied):
        services.decide(exception, personas["approver"], "approver", True)


def test_non_member_cannot_decide(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version)
    with pytest.raises(PermissionDenied):
        services.decide(exception, personas["owner"], "approver", True)


def test_high_risk_needs_risk_owner(published_policy, personas, risk_owner):
    _, version = published_policy
    exception = ask(personas, version, impact="high", likelihood="high")
    assert exception.risk_level == "critical"
    services.decide(exception, personas["approver"], "approver", True)
    exception = PolicyException.objects.get(pk=exception.pk)
    assert exception.state == "submitted"
    services.decide(exception, risk_owner, "risk_owner", True, "Risk accepted")
    exception = PolicyException.objects.get(pk=exception.pk)
    assert exception.state == "approved"


def test_one_person_cannot_fill_both_roles(published_policy, personas, risk_owner):
    _, version = published_policy
    risk_owner.groups.add(Group.objects.get(name="Approvers"))
    exception = ask(personas, version, impact="high", likelihood="high")
    services.decide(exception, risk_owner, "approver", True)
    assert services.roles_user_may_decide(exception, risk_owner) == []


def test_rejection_needs_and_records_reason(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version)
    with pytest.raises(ValidationError):
        services.decide(exception, personas["approver"], "approver", False, "")
    services.decide(exception, personas["approver"], "approver", False, "Too risky")
    exception = PolicyException.objects.get(pk=exception.pk)
    assert exception.state == "rejected"
    assert exception.decision_reason == "Too risky"


@pytest.mark.parametrize(("days", "message"), [(400, "more than 12 months away"), (0, "is not in the future")])
def test_end_date_limits(published_policy, personas, days, message):
    _, version = published_policy
    with pytest.raises(ValidationError) as caught:
        ask(personas, version, days=days)
    assert message in str(caught.value)


def test_unknown_statement_rejected(published_policy, personas):
    _, version = published_policy
    with pytest.raises(ValidationError) as caught:
        ask(personas, version, statements=("AC-999",))
    assert "AC-999 not found" in str(caught.value)


def test_double_submit_creates_one(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["employee"])
    data = {
        "token": str(uuid.uuid4()), "statements": "AC-11", "scope": "s", "business_reason": "r",
        "impact": "low", "likelihood": "low", "compensating_controls": "c",
        "end_date": (timezone.localdate() + datetime.timedelta(days=30)).isoformat(),
    }
    first = client.post(f"/exceptions/request/{page.slug}/", data)
    second = client.post(f"/exceptions/request/{page.slug}/", data)
    assert first.status_code == 302
    assert first["Location"] == second["Location"]
    assert PolicyException.objects.count() == 1


def test_form_errors_name_value(published_policy, personas, client):
    page, _ = published_policy
    client.force_login(personas["employee"])
    response = client.post(f"/exceptions/request/{page.slug}/", {
        "token": str(uuid.uuid4()), "statements": "XX-1", "scope": "s", "business_reason": "r",
        "impact": "low", "likelihood": "low", "compensating_controls": "c",
        "end_date": "2999-01-01",
    })
    assert response.status_code == 400
    body = response.content.decode()
    assert "XX-1 not found" in body
    assert "2999-01-01 is more than 12 months away" in body


def test_expiry_and_renewal(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version, days=10)
    services.decide(exception, personas["approver"], "approver", True)
    renewal = services.request_exception(
        personas["employee"], version, token=uuid.uuid4(), statements=["AC-11"], scope="s",
        business_reason="still needed", impact="low", likelihood="low",
        compensating_controls="c", end_date=timezone.localdate() + datetime.timedelta(days=60),
        renews=PolicyException.objects.get(pk=exception.pk),
    )[0]
    assert renewal.state == "submitted"
    assert renewal.renews_id == exception.pk

    expired = services.expire_due(today=timezone.localdate() + datetime.timedelta(days=11))
    exception = PolicyException.objects.get(pk=exception.pk)
    assert expired == 1
    assert exception.state == "expired"
    assert exception.history.filter(state="approved").exists()
    latest = exception.history.latest()
    assert latest.history_user.username == "system"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_expiry_reminder_sent_once(published_policy, personas):
    from policyhub.exceptions.tasks import notify_exception

    _, version = published_policy
    mail.outbox.clear()
    exception = ask(personas, version, days=7)
    to_approvers = [m for m in mail.outbox if "awaiting your decision" in m.body]
    recipients = sorted(m.to[0] for m in to_approvers)
    assert recipients == sorted([personas["approver"].email, personas["approver2"].email])
    services.decide(exception, personas["approver"], "approver", True)
    mail.outbox.clear()
    notify_exception(exception.pk, "expiring")
    notify_exception(exception.pk, "expiring")
    assert len(mail.outbox) == 1
    assert "ends on" in mail.outbox[0].body


def test_major_version_flags_changed_statement(published_policy, personas):
    page, version = published_policy
    exception = ask(personas, version, statements=("AC-11",))
    services.decide(exception, personas["approver"], "approver", True)

    draft = page.get_latest_revision_as_object()
    blocks = [(b.block_type, dict(b.value)) for b in draft.body]
    for _, value in blocks:
        value["content"] = value["content"].replace("at least 12 characters", "at least 14 characters")
    draft.body = blocks
    draft.save_revision(user=personas["author"])
    from .conftest import approve

    approve(page, personas, "Longer passwords.", "major")
    exception = PolicyException.objects.get(pk=exception.pk)
    assert exception.flagged_for_review
    assert "AC-11" in exception.flag_reason


def test_minor_version_does_not_flag(published_policy, personas):
    page, version = published_policy
    exception = ask(personas, version)
    services.decide(exception, personas["approver"], "approver", True)
    edit_and_approve(page, personas, "minor", "Typo.", "Extra note.")
    exception = PolicyException.objects.get(pk=exception.pk)
    assert not exception.flagged_for_review


def test_register_permissions_and_exports(published_policy, personas, client):
    _, version = published_policy
    exception = ask(personas, version)
    services.decide(exception, personas["approver"], "approver", True)

    client.force_login(personas["employee"])
    assert client.get("/exceptions/register/").status_code == 403

    client.force_login(personas["auditor"])
    response = client.get("/exceptions/register/?risk=low")
    assert response.status_code == 200
    assert "AC-11" in response.content.decode()

    csv_body = b"".join(client.get("/exceptions/register/?format=csv").streaming_content).decode()
    assert "access-control,1.0,AC-11,approved,low" in csv_body

    xlsx = client.get("/exceptions/register/?format=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "id"
    assert rows[1][3] == "AC-11"

    pdf = client.get("/exceptions/register/?format=pdf")
    assert verify_pdf_bytes(pdf.content).valid


def test_outsider_gets_404_on_detail(published_policy, personas, client):
    _, version = published_policy
    exception = ask(personas, version)
    client.force_login(personas["outsider"])
    assert client.get(f"/exceptions/{exception.pk}/").status_code == 404
    client.force_login(personas["approver"])
    assert client.get(f"/exceptions/{exception.pk}/").status_code == 200


def test_policy_page_lists_approved_exceptions(published_policy, personas, client):
    page, version = published_policy
    exception = ask(personas, version)
    services.decide(exception, personas["approver"], "approver", True)
    client.force_login(personas["auditor"])
    assert f"/exceptions/{exception.pk}/" in client.get(page.url).content.decode()
    client.force_login(personas["outsider"])
    assert f"/exceptions/{exception.pk}/" not in client.get(page.url).content.decode()


def test_in_force_reads_history(published_policy, personas):
    _, version = published_policy
    exception = ask(personas, version)
    services.decide(exception, personas["approver"], "approver", True)
    assert [e.pk for e in services.in_force()] == [exception.pk]
    services.revoke(PolicyException.objects.get(pk=exception.pk), personas["author"], "No longer needed")
    assert services.in_force() == []


def test_as_of_lists_exceptions_in_force(published_policy, personas):
    from policyhub.policies.asof import policies_in_force

    _, version = published_policy
    exception = ask(personas, version)
    services.decide(exception, personas["approver"], "approver", True)
    [entry] = policies_in_force(timezone.localdate())
    assert [e.pk for e in entry.exceptions] == [exception.pk]
