"""REST API views. Each declares its scopes and permissions; business rules stay in services."""

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions, generics, serializers, status
from rest_framework.response import Response

from ..accounts.deprovisioning import deactivate_user
from ..attestations.models import Acknowledgement, Campaign
from ..attestations.services import (
    ContentMismatch,
    StaleVersion,
    acknowledge,
    current_versions,
    statuses_for,
)
from ..audit.models import AuditEvent
from ..audit.permissions import VIEW_PERMISSION as VIEW_AUDIT_PERMISSION
from ..changes import services as change_services
from ..changes.permissions import visible_changes
from ..policies.models import PolicyPage, PolicyVersion
from . import change_writes, scopes
from . import serializers as api_serializers
from .exceptions import Conflict
from .pagination import FollowingCursorPagination, IdCursorPagination
from .permissions import HasScopesAndPermissions

STATUS_PERMISSION = "api.view_acknowledgement_status"
DEACTIVATE_PERMISSION = "api.deactivate_users"
MAX_ID = 2**63 - 1


class ApiView(generics.GenericAPIView):
    """Base view: declared scopes and permissions, and only known query parameters."""

    permission_classes = [HasScopesAndPermissions]
    required_scopes: tuple = None
    required_permissions: tuple = ()
    allowed_query_params = frozenset()

    def initial(self, request, *args, **kwargs):
        # Rate limits before permissions, so a caller over its limit gets 429
        # whatever it requests.
        self.format_kwarg = self.get_format_suffix(**kwargs)
        neg = self.perform_content_negotiation(request)
        request.accepted_renderer, request.accepted_media_type = neg
        version, scheme = self.determine_version(request, *args, **kwargs)
        request.version, request.versioning_scheme = version, scheme
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)
        self._check_query_params(request)
        self._check_path_ids(kwargs)

    def _check_path_ids(self, kwargs):
        # Ids come from 64-bit integer columns; a larger number names no row,
        # and SQLite would reject it as a query parameter.
        for name, value in kwargs.items():
            if isinstance(value, int) and not 0 < value <= MAX_ID:
                raise exceptions.NotFound(f"No object has {name} {value}.")

    def _check_query_params(self, request):
        allowed = set(self.allowed_query_params)
        if self.pagination_class is not None:
            allowed |= {"cursor", "page_size"}
        unknown = sorted(set(request.query_params) - allowed)
        if unknown:
            raise exceptions.ValidationError(
                {
                    name: [
                        f"Unknown query parameter; allowed: {', '.join(sorted(allowed)) or 'none'}."
                    ]
                    for name in unknown
                }
            )


class ListApiView(ApiView, generics.ListAPIView):
    pagination_class = IdCursorPagination


class PolicyList(ListApiView):
    """Live policies with their current version id."""

    required_scopes = (scopes.READ_POLICIES,)
    serializer_class = api_serializers.PolicySerializer

    def get_queryset(self):
        return PolicyPage.objects.live()

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if getattr(self, "_page_policies", None) is not None:
            context["current_versions"] = current_versions(self._page_policies)
        return context

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        self._page_policies = page
        return page


class PolicyDetail(ApiView, generics.RetrieveAPIView):
    required_scopes = (scopes.READ_POLICIES,)
    serializer_class = api_serializers.PolicySerializer
    pagination_class = None

    def get_queryset(self):
        return PolicyPage.objects.live()


class PolicyVersionList(ListApiView):
    """Every published version of one live policy."""

    required_scopes = (scopes.READ_POLICIES,)
    serializer_class = api_serializers.PolicyVersionSerializer

    def get_queryset(self):
        policy = get_object_or_404(PolicyPage.objects.live(), pk=self.kwargs["pk"])
        return PolicyVersion.objects.filter(policy=policy)


class PolicyVersionDetail(ApiView, generics.RetrieveAPIView):
    required_scopes = (scopes.READ_POLICIES,)
    serializer_class = api_serializers.PolicyVersionSerializer
    pagination_class = None

    def get_queryset(self):
        return PolicyVersion.objects.filter(policy__live=True)


class MyStatus(ApiView):
    """The calling user's status on every live policy."""

    required_scopes = (scopes.READ_STATUS,)
    pagination_class = None
    serializer_class = api_serializers.PolicyStatusSerializer

    @extend_schema(responses=api_serializers.PolicyStatusSerializer(many=True))
    def get(self, request):
        data = self.get_serializer(statuses_for(request.user), many=True).data
        return Response(data)


class UserStatus(ApiView):
    """One user's status on every live policy (compliance admins)."""

    required_scopes = (scopes.READ_STATUS,)
    required_permissions = (STATUS_PERMISSION,)
    pagination_class = None
    serializer_class = api_serializers.PolicyStatusSerializer

    @extend_schema(responses=api_serializers.PolicyStatusSerializer(many=True))
    def get(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk)
        return Response(self.get_serializer(statuses_for(user), many=True).data)


class PolicyUserStatus(ListApiView):
    """Each active user's status on one policy's current major version."""

    required_scopes = (scopes.READ_STATUS,)
    required_permissions = (STATUS_PERMISSION,)
    serializer_class = api_serializers.UserStatusSerializer

    def get_queryset(self):
        self.policy = get_object_or_404(PolicyPage.objects.live(), pk=self.kwargs["pk"])
        self.current = self.policy.current_version()
        if self.current is None:
            raise exceptions.NotFound("This policy has no published version.")
        return get_user_model().objects.filter(is_active=True)

    def list(self, request, *args, **kwargs):
        users = self.paginate_queryset(self.get_queryset())
        latest = {}
        acks = Acknowledgement.objects.filter(
            user__in=users, version__policy=self.policy, version__major=self.current.major
        ).order_by("acknowledged_at")
        for ack in acks:
            latest[ack.user_id] = ack
        rows = []
        for user in users:
            ack = latest.get(user.pk)
            rows.append(
                {
                    "user_id": user.pk,
                    "username": user.username,
                    "display_name": user.get_full_name() or user.username,
                    "acknowledged_version_id": ack.version_id if ack else None,
                    "acknowledged_at": ack.acknowledged_at if ack else None,
                    "action_required": ack is None,
                }
            )
        return self.get_paginated_response(self.get_serializer(rows, many=True).data)


class CampaignStatus(ApiView):
    """How many assignments of a campaign are in each status."""

    required_scopes = (scopes.READ_STATUS,)
    required_permissions = (STATUS_PERMISSION,)
    pagination_class = None

    @extend_schema(
        responses=inline_serializer(
            "CampaignStatus",
            {
                "campaign_id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "status": serializers.CharField(),
                "due_date": serializers.DateField(),
                "assignments": serializers.DictField(child=serializers.IntegerField()),
            },
        )
    )
    def get(self, request, pk):
        campaign = get_object_or_404(Campaign, pk=pk)
        counts = {}
        for row in campaign.assignments.values_list("status", flat=True):
            counts[row] = counts.get(row, 0) + 1
        return Response(
            {
                "campaign_id": campaign.pk,
                "name": campaign.name,
                "status": campaign.status,
                "due_date": campaign.due_date,
                "assignments": counts,
            }
        )


class StaleVersionConflict(Conflict):
    def __init__(self, stale):
        current_id = stale.current.pk if stale.current else None
        super().__init__(str(stale), extra={"current_version_id": current_id})


class Acknowledge(ApiView):
    """Acknowledge a policy version as the calling user."""

    required_scopes = (scopes.WRITE_ACKNOWLEDGEMENTS,)
    serializer_class = api_serializers.AcknowledgeSerializer
    pagination_class = None

    @extend_schema(
        responses={
            201: api_serializers.AcknowledgementSerializer,
            200: api_serializers.AcknowledgementSerializer,
            409: inline_serializer(
                "StaleVersion",
                {
                    "error": serializers.CharField(),
                    "detail": serializers.CharField(),
                    "current_version_id": serializers.IntegerField(),
                    "request_id": serializers.CharField(),
                },
            ),
        }
    )
    def post(self, request, pk):
        version = get_object_or_404(PolicyVersion.objects.filter(policy__live=True), pk=pk)
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        try:
            ack, created = acknowledge(
                request.user,
                version,
                payload.validated_data["content_sha256"],
                ip_address=request.META.get("REMOTE_ADDR"),
                user_agent=request.META.get("HTTP_USER_AGENT", ""),
                request=request._request,
            )
        except StaleVersion as stale:
            raise StaleVersionConflict(stale) from stale
        except ContentMismatch as mismatch:
            raise exceptions.ValidationError({"content_sha256": [str(mismatch)]}) from mismatch
        body = api_serializers.AcknowledgementSerializer(ack).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class AuditEventList(ListApiView):
    """Audit events in id order for SIEM collection; ``next`` is never null."""

    required_scopes = (scopes.READ_AUDIT,)
    required_permissions = (VIEW_AUDIT_PERMISSION,)
    serializer_class = api_serializers.AuditEventSerializer
    pagination_class = FollowingCursorPagination

    def get_queryset(self):
        return AuditEvent.objects.all()


class DeactivateUser(ApiView):
    """Deactivate a user: end their sessions and remove every grant (HR leavers)."""

    required_scopes = (scopes.DEACTIVATE_USERS,)
    required_permissions = (DEACTIVATE_PERMISSION,)
    serializer_class = api_serializers.DeactivateSerializer
    pagination_class = None

    @extend_schema(responses=api_serializers.DeactivationResultSerializer)
    def post(self, request, pk):
        user = get_object_or_404(get_user_model(), pk=pk)
        if user.pk == request.user.pk:
            raise exceptions.ValidationError({"id": ["A key cannot deactivate its own user."]})
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        changed = deactivate_user(
            user, actor=request.user, reason=f"API: {payload.validated_data['reason']}"
        )
        return Response({"user_id": user.pk, "deactivated": changed})


CHANGE_WRITE_SCOPES = (scopes.READ_CHANGES, scopes.WRITE_CHANGES)
CHANGE_WRITE_ERRORS = {
    400: inline_serializer(
        "InvalidRequest",
        {
            "error": serializers.CharField(),
            "detail": serializers.CharField(),
            "fields": serializers.DictField(child=serializers.ListField()),
            "request_id": serializers.CharField(),
        },
    ),
}
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    change_writes.IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description=(
        "Any unique value of 1 to 255 printable ASCII characters, such as a UUID. "
        "A retry with the same value returns the change the first request created."
    ),
)


class ChangeList(ListApiView):
    """Change requests the calling user may see; POST creates a draft."""

    required_scopes = (scopes.READ_CHANGES,)
    method_scopes = {"POST": CHANGE_WRITE_SCOPES}
    serializer_class = api_serializers.ChangeRequestSerializer

    def get_queryset(self):
        return visible_changes(self.request.user)

    def get_serializer_class(self):
        if self.request.method == "POST":
            return api_serializers.ChangeRequestInputSerializer
        return api_serializers.ChangeRequestSerializer

    @extend_schema(
        parameters=[IDEMPOTENCY_PARAMETER],
        request=api_serializers.ChangeRequestInputSerializer,
        responses={201: api_serializers.ChangeRequestSerializer, **CHANGE_WRITE_ERRORS},
    )
    def post(self, request):
        key = change_writes.idempotency_key(request)
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        if key is None:
            change, created = change_writes.create(request, payload.validated_data), True
        else:
            change, created = change_writes.create_once(request, payload.validated_data, key)
        body = api_serializers.ChangeRequestSerializer(change).data
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Location"] = reverse("api:change", args=[change.pk])
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response


class ChangeDetail(ApiView, generics.RetrieveAPIView):
    """One change request; PUT and PATCH edit it while its requester may."""

    required_scopes = (scopes.READ_CHANGES,)
    method_scopes = {"PUT": CHANGE_WRITE_SCOPES, "PATCH": CHANGE_WRITE_SCOPES}
    serializer_class = api_serializers.ChangeRequestSerializer
    pagination_class = None

    def get_queryset(self):
        return visible_changes(self.request.user)

    def get_serializer_class(self):
        if self.request.method in ("PUT", "PATCH"):
            return api_serializers.ChangeRequestInputSerializer
        return api_serializers.ChangeRequestSerializer

    @extend_schema(
        request=api_serializers.ChangeRequestInputSerializer,
        responses={200: api_serializers.ChangeRequestSerializer, **CHANGE_WRITE_ERRORS},
    )
    def put(self, request, pk):
        return self._update(request, partial=False)

    @extend_schema(
        request=api_serializers.ChangeRequestInputSerializer,
        responses={200: api_serializers.ChangeRequestSerializer, **CHANGE_WRITE_ERRORS},
    )
    def patch(self, request, pk):
        return self._update(request, partial=True)

    def _update(self, request, partial):
        change = self.get_object()
        change_writes.check_editable(request, change)
        payload = self.get_serializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        change = change_writes.update(request, change, payload.validated_data)
        change.refresh_from_db()
        return Response(api_serializers.ChangeRequestSerializer(change).data)


class ChangeTransition(ApiView):
    """Take one workflow step on a change, under the portal's own rules."""

    required_scopes = (scopes.READ_CHANGES, scopes.WRITE_CHANGES)
    serializer_class = api_serializers.ChangeTransitionSerializer
    pagination_class = None

    @extend_schema(responses=api_serializers.ChangeRequestSerializer)
    def post(self, request, pk):
        change = get_object_or_404(visible_changes(request.user), pk=pk)
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        arguments = {}
        if data["action"] == "close":
            arguments = {"code": data.get("close_code", ""), "notes": data.get("close_notes", "")}
        try:
            change = change_services.transition(
                change, data["action"], request.user, request=request._request, **arguments
            )
        except DjangoPermissionDenied as denied:
            raise exceptions.PermissionDenied(str(denied)) from denied
        except change_services.ChangeError as error:
            raise Conflict(str(error)) from error
        change.refresh_from_db()
        return Response(api_serializers.ChangeRequestSerializer(change).data)


class SchemaView(SpectacularAPIView):
    """The OpenAPI 3 schema, for any signed-in user or valid key."""

    required_scopes = ()
    permission_classes = [HasScopesAndPermissions]


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI from this server's static files (no CDN), with no inline script."""

    required_scopes = ()
    template_name = "api/swagger_ui.html"
    permission_classes = [HasScopesAndPermissions]
