"""API serializers. Each lists its fields; none exposes secrets or others' emails."""

import datetime
import html

import nh3
from django.urls import reverse
from django.utils import timezone
from rest_framework import serializers

from ..attestations.models import Acknowledgement
from ..audit.models import AuditEvent
from ..changes.models import ChangeRequest, ChangeType, CloseCode
from ..changes.risk import Rating
from ..changes.services import USER_TRANSITIONS
from ..policies.models import PolicyPage, PolicyVersion


class StrictSerializer(serializers.Serializer):
    """A serializer that rejects any input key it does not declare."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                allowed = ", ".join(sorted(self.fields)) or "none"
                raise serializers.ValidationError(
                    {name: [f"Unknown field; allowed fields are: {allowed}."] for name in unknown}
                )
        return super().to_internal_value(data)


MAX_ID = 2**63 - 1
SANITISE_ROUNDS = 5
# Bounds of the change request API; the portal form has the same fields.
MAX_TEXT_LENGTH = 20000
MAX_LINKED_ITEMS = 100


def strip_html(value):
    """Return ``value`` as plain text: tags removed by nh3, entities decoded.

    Decoding can turn ``&lt;b&gt;`` into a new tag, so cleaning repeats
    until the text no longer changes. Text that still changes after
    ``SANITISE_ROUNDS`` rounds keeps its last cleaned, entity-encoded form.
    """
    for _ in range(SANITISE_ROUNDS):
        cleaned = nh3.clean(value, tags=set())
        decoded = html.unescape(cleaned)
        if decoded == value:
            return decoded
        value = decoded
    return nh3.clean(value, tags=set())


class PlainTextField(serializers.CharField):
    """Text with every HTML tag removed by nh3 before validation of its length.

    Characters such as ``&`` and ``<`` are stored as typed, not as entities,
    because every page and PDF escapes plain text when it renders it.
    """

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return strip_html(value).strip()


class PolicySerializer(serializers.ModelSerializer):
    current_version_id = serializers.SerializerMethodField()

    class Meta:
        model = PolicyPage
        fields = ["id", "title", "slug", "classification", "current_version_id"]
        read_only_fields = fields

    def get_current_version_id(self, policy) -> int | None:
        current = self.context.get("current_versions", {}).get(policy.pk)
        if current is None and "current_versions" not in self.context:
            current = policy.current_version()
        return current.pk if current else None


class PolicyVersionSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    policy_id = serializers.IntegerField(read_only=True)
    signed_pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = PolicyVersion
        fields = [
            "id",
            "policy_id",
            "label",
            "major",
            "minor",
            "title",
            "change_type",
            "change_summary",
            "classification",
            "effective_date",
            "next_review_date",
            "content_sha256",
            "published_at",
            "signed_pdf_url",
        ]
        read_only_fields = fields

    def get_signed_pdf_url(self, version) -> str:
        """Build the portal download URL, which needs a signed-in auditor or compliance admin."""
        path = reverse("exports:signed_pdf", args=[version.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class PolicyStatusSerializer(serializers.Serializer):
    policy_id = serializers.IntegerField(source="policy.pk")
    policy_title = serializers.CharField(source="policy.title")
    current_version_id = serializers.IntegerField(source="current.pk")
    current_version_label = serializers.CharField(source="current.label")
    acknowledged_version_id = serializers.IntegerField(
        source="acknowledged_version.pk", allow_null=True, default=None
    )
    action_required = serializers.BooleanField()

    class Meta:
        fields = [
            "policy_id",
            "policy_title",
            "current_version_id",
            "current_version_label",
            "acknowledged_version_id",
            "action_required",
        ]


class UserStatusSerializer(serializers.Serializer):
    """One person's status on one policy: no email, only id and display name."""

    user_id = serializers.IntegerField()
    username = serializers.CharField()
    display_name = serializers.CharField()
    acknowledged_version_id = serializers.IntegerField(allow_null=True)
    acknowledged_at = serializers.DateTimeField(allow_null=True)
    action_required = serializers.BooleanField()

    class Meta:
        fields = [
            "user_id",
            "username",
            "display_name",
            "acknowledged_version_id",
            "acknowledged_at",
            "action_required",
        ]


class AcknowledgeSerializer(StrictSerializer):
    content_sha256 = serializers.RegexField(
        r"^[0-9a-f]{64}$",
        max_length=64,
        error_messages={
            "invalid": "Give the 64-character lowercase hex SHA-256 of the content shown."
        },
    )

    class Meta:
        fields = ["content_sha256"]


class AcknowledgementSerializer(serializers.ModelSerializer):
    version_id = serializers.IntegerField(read_only=True)
    user_id = serializers.IntegerField(read_only=True)

    class Meta:
        model = Acknowledgement
        fields = ["id", "user_id", "version_id", "cycle", "content_sha256", "acknowledged_at"]
        read_only_fields = fields


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "outcome",
            "ip_address",
            "request_id",
            "detail",
            "previous_hash",
            "event_hash",
        ]
        read_only_fields = fields


class DeactivateSerializer(StrictSerializer):
    reason = PlainTextField(min_length=3, max_length=500)

    class Meta:
        fields = ["reason"]


class DeactivationResultSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    deactivated = serializers.BooleanField(help_text="False when the user was already inactive.")

    class Meta:
        fields = ["user_id", "deactivated"]


class ChangeRequestSerializer(serializers.ModelSerializer):
    requester_id = serializers.IntegerField(read_only=True)
    implementer_id = serializers.IntegerField(read_only=True, allow_null=True)

    class Meta:
        model = ChangeRequest
        fields = [
            "id",
            "title",
            "change_type",
            "state",
            "impact",
            "likelihood",
            "risk",
            "planned_start",
            "planned_end",
            "requester_id",
            "implementer_id",
            "review_round",
            "submitted_at",
            "decided_at",
            "implemented_at",
            "closed_at",
            "close_code",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class ChangeTransitionSerializer(StrictSerializer):
    action = serializers.ChoiceField(choices=sorted(USER_TRANSITIONS))
    close_code = serializers.ChoiceField(choices=CloseCode.choices, required=False)
    close_notes = PlainTextField(max_length=5000, required=False)

    class Meta:
        fields = ["action", "close_code", "close_notes"]


class ObjectIdField(serializers.IntegerField):
    """The id of a row: a positive 64-bit integer."""

    def __init__(self, **kwargs):
        super().__init__(min_value=1, max_value=MAX_ID, **kwargs)


class PlannedTimeField(serializers.DateTimeField):
    """An ISO 8601 date and time; one without an offset is read in the server's time zone."""

    EARLIEST = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    LATEST = datetime.datetime(2100, 1, 1, tzinfo=datetime.UTC)

    def to_internal_value(self, value):
        parsed = super().to_internal_value(value)
        if not self.EARLIEST <= parsed < self.LATEST:
            raise serializers.ValidationError(
                f"{value} is outside the accepted range; give a time from 2000 up to 2099."
            )
        return timezone.localtime(parsed)


class ChangeRequestInputSerializer(StrictSerializer):
    """The fields a requester sets, with types, lengths and ranges checked.

    Which fields a change type needs, the planned window and the allowed
    templates, systems and people are the portal form's rules: the view
    passes the parsed values to ``ChangeRequestForm`` and the change
    services, so they apply unchanged.
    """

    title = PlainTextField(min_length=3, max_length=200)
    change_type = serializers.ChoiceField(choices=ChangeType.choices)
    template_id = ObjectIdField(required=False, allow_null=True)
    description = PlainTextField(min_length=1, max_length=MAX_TEXT_LENGTH)
    justification = PlainTextField(min_length=1, max_length=MAX_TEXT_LENGTH)
    system_ids = serializers.ListField(
        child=ObjectIdField(), required=False, max_length=MAX_LINKED_ITEMS
    )
    policy_version_ids = serializers.ListField(
        child=ObjectIdField(), required=False, max_length=MAX_LINKED_ITEMS
    )
    category_id = ObjectIdField(required=False, allow_null=True)
    impact = serializers.ChoiceField(choices=Rating.choices, required=False, allow_blank=True)
    likelihood = serializers.ChoiceField(choices=Rating.choices, required=False, allow_blank=True)
    implementation_plan = PlainTextField(
        required=False, allow_blank=True, max_length=MAX_TEXT_LENGTH
    )
    rollback_plan = PlainTextField(required=False, allow_blank=True, max_length=MAX_TEXT_LENGTH)
    test_plan = PlainTextField(required=False, allow_blank=True, max_length=MAX_TEXT_LENGTH)
    planned_start = PlannedTimeField()
    planned_end = PlannedTimeField()
    implementer_id = ObjectIdField(required=False, allow_null=True)

    class Meta:
        fields = [
            "title",
            "change_type",
            "template_id",
            "description",
            "justification",
            "system_ids",
            "policy_version_ids",
            "category_id",
            "impact",
            "likelihood",
            "implementation_plan",
            "rollback_plan",
            "test_plan",
            "planned_start",
            "planned_end",
            "implementer_id",
        ]
