"""Encrypted personal fields, key rotation, keyed-hash lookup, retention and
subject-access export."""

import io
import json
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt as mfa_decrypt
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.reader import PdfFileReader

from policyhub.accounts.deprovisioning import deactivate_user
from policyhub.attestations.forms import CampaignForm
from policyhub.attestations.models import Acknowledgement
from policyhub.attestations.services import acknowledge
from policyhub.audit.chain import verify_chain
from policyhub.audit.checkpoints import verify_trail, write_checkpoint
from policyhub.audit.models import AuditEvent
from policyhub.audit.services import record_event
from policyhub.privacy import keys
from policyhub.privacy.fields import lookup_hash
from policyhub.privacy.retention import apply_retention, pseudonym_for
from policyhub.privacy.rotation import encrypted_models
from policyhub.privacy.subject_access import (
    EXCLUDED_MODELS,
    collect,
    user_relations,
)
from policyhub.settings.protection import DEV_FIELD_KEYS

pytestmark = pytest.mark.django_db

NEW_KEY = keys.generate_key()


class FakeRequest:
    """The request attributes record_event reads."""

    def __init__(self, address):
        self.META = {"REMOTE_ADDR": address}
        self.request_id = "req-1"


def raw_row(table, pk, columns, pk_column="id"):
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)} FROM {table} WHERE {pk_column} = %s",  # noqa: S608
            [pk],
        )
        return cursor.fetchone()


def all_raw_text(table):
    """Return every cell of ``table`` as one string, to search for plain text."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608
        return " ".join(str(cell) for row in cursor.fetchall() for cell in row)


@pytest.fixture
def acknowledged(published_policy, personas):
    _, version = published_policy
    ack, _ = acknowledge(
        personas["employee"],
        version,
        version.content_sha256,
        ip_address="203.0.113.77",
        user_agent="PlainBrowser/9.9 (Marker)",
        request=FakeRequest("203.0.113.77"),
    )
    return ack


# --- Encryption at rest ------------------------------------------------------


def test_raw_sql_shows_no_plaintext(acknowledged, personas):
    employee = personas["employee"]
    employee.employee_number = "EMP-4242-SECRET"
    employee.save()
    record_event("test.addressed", actor=employee, request=FakeRequest("198.51.100.23"))

    user_text = all_raw_text("accounts_user") + all_raw_text("accounts_historicaluser")
    ack_text = all_raw_text("attestations_acknowledgement")
    audit_text = all_raw_text("audit_auditevent")

    assert "EMP-4242-SECRET" not in user_text
    assert "203.0.113.77" not in ack_text
    assert "PlainBrowser" not in ack_text
    assert "198.51.100.23" not in audit_text
    assert "203.0.113.77" not in audit_text
    employee.refresh_from_db()
    assert employee.employee_number == "EMP-4242-SECRET"
    ack = Acknowledgement.objects.get(pk=acknowledged.pk)
    assert ack.ip_address == "203.0.113.77"
    assert ack.user_agent == "PlainBrowser/9.9 (Marker)"


def test_every_encrypted_column_is_found():
    tables = {
        model._meta.db_table: [f.name for f in fields] for model, fields in encrypted_models()
    }
    assert tables["accounts_user"] == ["employee_number"]
    assert tables["accounts_historicaluser"] == ["employee_number"]
    assert tables["attestations_acknowledgement"] == ["ip_address", "user_agent"]
    assert tables["audit_auditevent"] == ["ip_address"]


def test_encrypted_field_rejects_value_lookups():
    with pytest.raises(FieldError, match="employee_number is encrypted"):
        list(get_user_model().objects.filter(employee_number="E1"))


def test_mfa_secret_stored_encrypted(personas):
    authenticator = TOTP.activate(personas["approver"], "JBSWY3DPEHPK3PXP").instance
    stored = Authenticator.objects.get(pk=authenticator.pk).data["secret"]
    assert stored != "JBSWY3DPEHPK3PXP"
    assert mfa_decrypt(stored) == "JBSWY3DPEHPK3PXP"


# --- Keyed-hash lookup --------------------------------------------------------


def test_employee_number_found_by_keyed_hash(personas):
    employee = personas["employee"]
    employee.employee_number = " E-778 "
    employee.save()
    stored_hash = raw_row("accounts_user", employee.pk, ["employee_number_hash"])[0]
    assert stored_hash == lookup_hash("E-778")
    assert get_user_model().objects.get(employee_number_hash=lookup_hash("E-778")) == employee


def test_duplicate_employee_number_rejected(personas):
    personas["employee"].employee_number = "E-900"
    personas["employee"].save()
    personas["owner"].employee_number = "E-900"
    with pytest.raises(IntegrityError), transaction.atomic():
        personas["owner"].save()


def test_reporting_line_form_rejects_taken_number(personas):
    from policyhub.attestations.wagtail_hooks import ReportingLineForm

    personas["owner"].employee_number = "E-901"
    personas["owner"].save()
    form = ReportingLineForm(
        data={"department": "Markets", "employee_number": "E-901", "manager_email": ""},
        instance=personas["employee"],
    )
    assert not form.is_valid()
    assert "already has the employee number E-901" in str(form.errors["employee_number"])


def test_campaign_form_matches_employee_number(personas, published_policy):
    personas["employee"].employee_number = "E-321"
    personas["employee"].save(update_fields=["employee_number"])
    form = CampaignForm(data={"people": "E-321\n"})
    form.is_valid()
    assert "people" not in form.errors
    assert form.cleaned_data["people"] == [personas["employee"]]


def test_reporting_line_import_matches_hash(personas):
    from policyhub.attestations.org import import_reporting_lines, read_reporting_lines

    rows = read_reporting_lines(
        io.StringIO(
            "email,department,manager_email,employee_number\n"
            "employee@example.test,Markets,owner@example.test,E-555\n"
        )
    )
    import_reporting_lines(rows, personas["author"], "user:author")
    employee = get_user_model().objects.get(employee_number_hash=lookup_hash("E-555"))
    assert employee == personas["employee"]
    history = employee.history.first()
    assert history.employee_number == "E-555"
    assert history.employee_number_hash == lookup_hash("E-555")


# --- Key rotation --------------------------------------------------------------


def test_rotation_reencrypts_and_old_key_can_go(acknowledged, personas):
    employee = personas["employee"]
    employee.employee_number = "E-ROT-1"
    employee.save()
    event = record_event("test.addressed", actor=employee, request=FakeRequest("192.0.2.44"))
    before = raw_row("attestations_acknowledgement", acknowledged.pk, ["ip_address"])[0]

    with override_settings(POLICYHUB_FIELD_KEYS=[NEW_KEY, *DEV_FIELD_KEYS]):
        # The old key still decrypts before rotation.
        assert Acknowledgement.objects.get(pk=acknowledged.pk).ip_address == "203.0.113.77"
        output = io.StringIO()
        call_command("rotate_field_keys", "--batch-size", "2", stdout=output)
        assert "Re-encrypted" in output.getvalue()
        rerun = io.StringIO()
        call_command("rotate_field_keys", stdout=rerun)
        assert "Re-encrypted 0 values" in rerun.getvalue()

    after = raw_row("attestations_acknowledgement", acknowledged.pk, ["ip_address"])[0]
    assert after != before
    rotated = AuditEvent.objects.filter(action="privacy.field_keys_rotated").order_by("pk")
    assert rotated.count() == 2
    assert rotated[0].detail["rotated"] >= 4
    assert rotated[1].detail["rotated"] == 0
    assert rotated[0].detail["tables"]["audit_auditevent"]["rotated"] >= 1

    with override_settings(POLICYHUB_FIELD_KEYS=[NEW_KEY]):
        assert Acknowledgement.objects.get(pk=acknowledged.pk).user_agent.startswith("Plain")
        employee.refresh_from_db()
        assert employee.employee_number == "E-ROT-1"
        assert AuditEvent.objects.get(pk=event.pk).ip_address == "192.0.2.44"
        assert verify_chain(AuditEvent.objects.order_by("id")).intact
        assert employee.history.first().employee_number == "E-ROT-1"


def test_missing_key_gives_clear_error(acknowledged):
    with override_settings(POLICYHUB_FIELD_KEYS=[NEW_KEY]):
        with pytest.raises(keys.UndecryptableValue, match="POLICYHUB_FIELD_KEYS"):
            Acknowledgement.objects.get(pk=acknowledged.pk)


def test_rotation_touches_only_audit_ciphertext(personas):
    event = record_event(
        "test.addressed", actor=personas["employee"], request=FakeRequest("192.0.2.45")
    )
    columns = ["event_hash", "previous_hash", "detail", "ip_address_digest", "occurred_at"]
    before = raw_row("audit_auditevent", event.pk, columns)
    with override_settings(POLICYHUB_FIELD_KEYS=[NEW_KEY, *DEV_FIELD_KEYS]):
        call_command("rotate_field_keys", stdout=io.StringIO())
    assert raw_row("audit_auditevent", event.pk, columns) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_trigger_rejects_other_audit_updates(personas):
    event = record_event(
        "test.addressed", actor=personas["employee"], request=FakeRequest("192.0.2.46")
    )
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('policyhub.field_reencrypt', 'on', true)")
        cursor.execute("UPDATE audit_auditevent SET action = 'forged' WHERE id = %s", [event.pk])
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET ip_address = NULL WHERE id = %s", [event.pk])


def test_changed_address_breaks_chain(personas):
    event = record_event(
        "test.addressed", actor=personas["employee"], request=FakeRequest("192.0.2.47")
    )
    forged = keys.encrypt("192.0.2.99")
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('policyhub.field_reencrypt', 'on', true)")
        cursor.execute(
            "UPDATE audit_auditevent SET ip_address = %s WHERE id = %s", [forged, event.pk]
        )
    report = verify_chain(AuditEvent.objects.order_by("id"))
    assert report.broken_at == event.pk


# --- Retention and anonymisation -----------------------------------------------


def test_anonymisation_keeps_history_verifiable(acknowledged, personas, settings):
    employee = personas["employee"]
    employee.employee_number = "E-LEAVER"
    employee.job_title = "Dealer"
    employee.save()
    record_event("test.addressed", actor=employee, request=FakeRequest("192.0.2.50"))
    deactivate_user(employee, actor=personas["author"], reason="Left the bank")
    write_checkpoint("task:test")
    get_user_model().objects.filter(pk=employee.pk).update(
        deactivated_at=timezone.now()
        - timedelta(days=settings.POLICYHUB_RETENTION_DAYS["deactivated_user"] + 1)
    )

    counts = apply_retention()

    assert counts["users_anonymised"] == 1
    employee.refresh_from_db()
    pseudonym = pseudonym_for(employee.pk)
    assert employee.username == pseudonym
    assert employee.email == f"{pseudonym}@anonymised.invalid"
    assert employee.employee_number is None
    assert employee.job_title == ""
    assert not employee.has_usable_password()
    for history in employee.history.all():
        assert history.email in (employee.email,)
        assert history.first_name == "Former user"
        assert history.employee_number is None
    assert not EmailAddress.objects.filter(email__iexact="employee@example.test").exists()
    everything = all_raw_text("accounts_user") + all_raw_text("accounts_historicaluser")
    assert "employee@example.test" not in everything
    ack = Acknowledgement.objects.get(pk=acknowledged.pk)
    assert ack.user == employee
    assert ack.content_sha256 == acknowledged.content_sha256
    assert ack.ip_address is None
    assert ack.user_agent == ""
    assert not AuditEvent.objects.filter(actor=employee).exclude(ip_address__isnull=True).exists()
    assert AuditEvent.objects.filter(actor=employee).exists()
    assert verify_chain(AuditEvent.objects.order_by("id")).intact
    assert verify_trail().intact
    call_command("verify_audit_trail", stdout=io.StringIO())


def test_retention_run_is_audited_once_per_change(personas, settings):
    employee = personas["employee"]
    deactivate_user(employee, actor=personas["author"], reason="Left")
    get_user_model().objects.filter(pk=employee.pk).update(
        deactivated_at=timezone.now() - timedelta(days=10_000)
    )

    first = apply_retention()
    second = apply_retention()

    assert first["users_anonymised"] == 1
    assert second["users_anonymised"] == 0
    runs = AuditEvent.objects.filter(action="privacy.retention_applied").order_by("pk")
    assert [run.detail["counts"]["users_anonymised"] for run in runs] == [1, 0]
    assert runs[0].actor.username == "system"
    assert runs[0].actor_label == "task:privacy.apply_retention"
    assert AuditEvent.objects.filter(action="account.anonymised").count() == 1


def test_recent_leaver_and_system_user_kept(personas):
    employee = personas["employee"]
    deactivate_user(employee, actor=personas["author"], reason="Left")
    apply_retention()
    employee.refresh_from_db()
    assert employee.email == "employee@example.test"
    system = get_user_model().objects.get(username="system")
    assert system.anonymised_at is None


def test_retention_command_prints_counts(personas):
    output = io.StringIO()
    call_command("apply_retention", stdout=output)
    assert "users_anonymised: 0" in output.getvalue()
    assert AuditEvent.objects.filter(action="privacy.retention_applied").count() == 1


def test_expired_data_deleted(personas):
    from allauth.usersessions.models import UserSession
    from axes.models import AccessAttempt
    from django.contrib.sessions.models import Session

    from policyhub.api.models import ApiKey
    from policyhub.notifications.models import Delivery

    now = timezone.now()
    old = now - timedelta(days=10_000)
    Session.objects.create(session_key="x" * 32, session_data="", expire_date=old)
    Session.objects.create(session_key="y" * 32, session_data="", expire_date=now + timedelta(1))
    UserSession.objects.create(
        user=personas["employee"],
        ip="192.0.2.1",
        session_key="z" * 32,
        user_agent="Old",
        last_seen_at=old,
    )
    AccessAttempt.objects.create(
        username="someone",
        ip_address="192.0.2.2",
        user_agent="x",
        attempt_time=old,
        failures_since_start=1,
    )
    AccessAttempt.objects.filter(username="someone").update(attempt_time=old)
    ApiKey.objects.create(
        name="old",
        prefix="oldkey00001",
        secret_sha256="0" * 64,
        user=personas["employee"],
        created_by=personas["author"],
        expires_at=old,
    )
    ApiKey.objects.create(
        name="live",
        prefix="livekey0001",
        secret_sha256="1" * 64,
        user=personas["employee"],
        created_by=personas["author"],
        expires_at=now + timedelta(days=30),
    )
    delivery = Delivery.objects.create(
        dedupe_key="old",
        kind="reminder",
        recipient=personas["employee"],
        subject="s",
        status=Delivery.Status.SENT,
        actor="task:test",
    )
    Delivery.objects.filter(pk=delivery.pk).update(claimed_at=old)

    counts = apply_retention()

    assert counts["sessions"] == 1
    assert counts["session_records"] == 1
    assert counts["login_attempts"] == 1
    assert counts["api_keys"] == 1
    assert counts["notifications"] == 1
    assert Session.objects.count() == 1
    assert list(ApiKey.objects.values_list("name", flat=True)) == ["live"]
    again = apply_retention()
    assert set(again.values()) == {0}


# --- Subject-access export -------------------------------------------------------


def test_export_covers_every_model_linked_to_user(acknowledged, personas):
    data = collect(personas["employee"])
    linked = set(user_relations())
    assert linked - set(EXCLUDED_MODELS) == set(data["records"])
    # Models known to hold data about people must be among them.
    for label in (
        "attestations.Acknowledgement",
        "audit.AuditEvent",
        "accounts.HistoricalUser",
        "notifications.Delivery",
        "api.ApiKey",
        "account.EmailAddress",
        "usersessions.UserSession",
        "mfa.Authenticator",
    ):
        assert label in data["records"], label
    assert set(EXCLUDED_MODELS) <= linked


def test_export_contains_records_of_person(acknowledged, personas):
    employee = personas["employee"]
    employee.employee_number = "E-SAR"
    employee.save()
    TOTP.activate(employee, "JBSWY3DPEHPK3PXP")
    data = collect(employee)

    assert data["subject"]["email"] == "employee@example.test"
    assert data["subject"]["employee_number"] == "E-SAR"
    assert data["subject"]["password"] == "[withheld secret]"
    assert data["subject"]["groups"] == ["Employees"]
    [ack] = data["records"]["attestations.Acknowledgement"]["rows"]
    assert ack["ip_address"] == "203.0.113.77"
    assert ack["user_agent"] == "PlainBrowser/9.9 (Marker)"
    actions = {row["action"] for row in data["records"]["audit.AuditEvent"]["rows"]}
    assert "policy.acknowledged" in actions
    [authenticator] = data["records"]["mfa.Authenticator"]["rows"]
    assert authenticator["data"] == "[withheld secret]"
    assert "JBSWY3DPEHPK3PXP" not in json.dumps(data)
    assert data["records"]["accounts.HistoricalUser"]["rows"]


def test_export_view_for_compliance_admins_only(acknowledged, personas, client):
    url = reverse("privacy:subject_access")
    client.force_login(personas["employee"])
    assert client.get(url).status_code == 403

    client.force_login(personas["author"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"person": "employee@example.test", "export_format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert body["subject"]["email"] == "employee@example.test"
    event = AuditEvent.objects.filter(action="privacy.subject_access_exported").get()
    assert event.actor == personas["author"]
    assert event.object_id == str(personas["employee"].pk)
    assert event.detail["format"] == "json"

    missing = client.post(url, {"person": "nobody@example.test", "export_format": "json"})
    assert missing.status_code == 400
    assert "nobody@example.test" in missing.content.decode()


def test_export_command_writes_signed_pdf(acknowledged, personas, tmp_path):
    output = tmp_path / "export.pdf"
    call_command(
        "export_subject_data",
        "--email",
        "employee@example.test",
        "--format",
        "pdf",
        "--output",
        str(output),
        stdout=io.StringIO(),
    )
    reader = PdfFileReader(io.BytesIO(output.read_bytes()))
    [signature] = reader.embedded_signatures
    assert "Subject access export" in signature.sig_object["/Reason"]
    event = AuditEvent.objects.filter(action="privacy.subject_access_exported").get()
    assert event.actor_label == "command:export_subject_data"
    assert event.detail["format"] == "pdf"
