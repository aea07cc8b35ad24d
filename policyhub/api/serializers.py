"""API serializers. Each lists its fields; none exposes secrets or others' emails."""

import nh3
from django.urls import reverse
from rest_framework import serializers

from ..attestations.models import Acknowledgement
from ..audit.models import AuditEvent
from ..changes.models import ChangeRequest, CloseCode
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


class PlainTextField(serializers.CharField):
    """Text with every HTML tag removed by nh3 before validation of its length."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        return nh3.clean(value, tags=set()).strip()


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
