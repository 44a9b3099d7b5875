"""REST API: thin views over the selectors (reads) and the service functions (writes).

Every read is scoped by the acting organisation (the token's): another organisation's object
answers 404. Assessment writes use optimistic concurrency: the assessment's ETag is its
version; a write must send `If-Match` (428 without it) and is refused with 412 when stale.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotAuthenticated, NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response

from convergence.assessments import services as assessment_services
from convergence.assessments.models import Answer, AnswerBlocker, Assessment
from convergence.assessments.selectors import (
    assessments_visible_to,
    campaigns_visible_to,
    get_assessment_or_404,
    get_campaign_or_404,
)
from convergence.assessments.validation import AnswerInput, MilestoneInput
from convergence.catalog import services as catalog_services
from convergence.catalog.selectors import subjects_editable_by, subjects_visible_to
from convergence.organisations.models import User
from convergence.organisations.tenancy import acting_organisation, organisations_visible_to
from convergence.referential.models import Referential
from convergence.referential.selectors import referentials_visible_to

from . import serializers
from .exceptions import PreconditionFailed, PreconditionRequired, errors_response
from .filters import AssessmentFilter, SubjectFilter

ERRORS = OpenApiResponse(
    serializers.ErrorsSerializer, description='{"errors": [{"field": ..., "message": ...}]}'
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="The assessment's ETag (its version), as returned by GET",
)


MAX_ID = 2**63 - 1


class IdLookupMixin(GenericAPIView):
    """An id that is not a number the database can hold is simply not found (never a 500)."""

    def get_object(self):
        value = self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)
        if self.lookup_field == "pk" and not (str(value).isdigit() and int(value) <= MAX_ID):
            raise NotFound
        return super().get_object()


def _check_id(value) -> None:
    if not (str(value).isdigit() and int(value) <= MAX_ID):
        raise NotFound


def _user(request: Request) -> User:
    """The authenticated user of an API request (every endpoint that writes requires one)."""
    user = request.user
    if not isinstance(user, User):
        raise NotAuthenticated
    return user


def _org(request: Request):
    return acting_organisation(request._request)


class ReferentialViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.ReferentialSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[Referential]:
        # The web's rule (referential.selectors): published and retired editions for everyone,
        # drafts for the agency.
        return (
            referentials_visible_to(self.request.user)
            .prefetch_related("axes", "blocker_categories")
            .order_by("code")
        )


class OrganisationViewSet(IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.OrganisationSerializer
    filterset_fields = ["kind", "region"]

    def get_queryset(self):
        return organisations_visible_to(_org(self.request)).order_by("code")


class SubjectViewSet(
    IdLookupMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Products and regional services: read what the organisation may see, write its own."""

    serializer_class = serializers.SubjectSerializer
    filterset_class = SubjectFilter

    def get_queryset(self):
        organisation = _org(self.request)
        if self.action in ("update", "partial_update"):
            queryset = subjects_editable_by(organisation)
        else:
            queryset = subjects_visible_to(organisation)
        return queryset.select_related("organisation").order_by("code")

    # The services check the permissions (catalog.add_subject, catalog.change_subject); their
    # PermissionDenied is translated by api.exceptions.
    def perform_create(self, serializer):
        serializer.instance = catalog_services.subject_create(
            actor=_user(self.request), organisation=_org(self.request), **dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        serializer.instance = catalog_services.subject_update(
            actor=_user(self.request), subject=serializer.instance, **dict(serializer.validated_data)
        )


class CampaignViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CampaignSerializer
    lookup_field = "code"
    lookup_value_regex = r"[^/]+"
    filterset_fields = ["status", "scope"]

    def get_queryset(self):
        return (
            campaigns_visible_to(_org(self.request))
            .select_related("referential")
            .order_by("-opens_on", "code")
        )

    def get_object(self):
        # One campaign by code, through the one visibility rule: the list's filters (`status`,
        # `scope`) are not applied, so `report/?scope=services` finds a campaign of scope `both`.
        return get_campaign_or_404(_org(self.request), self.kwargs[self.lookup_field])

    @extend_schema(
        parameters=[
            OpenApiParameter("scope", str, enum=["services", "products"], required=True),
            OpenApiParameter("region", str, required=False),
        ],
        responses={200: OpenApiTypes.OBJECT, 400: ERRORS},
    )
    @action(detail=True, methods=["get"])
    def report(self, request, code=None):
        """The campaign report (contract section 5). The agency reads it in full; others get what
        the disclosure rule lets them see (analytics/disclosure.py: public mode whenever other
        organisations' subjects count, with small-cell and complementary suppression)."""
        from convergence.analytics.disclosure import report_for_reader
        from convergence.analytics.engine import ReportError, ReportParams

        campaign = self.get_object()
        scope = request.query_params.get("scope", "")
        region = request.query_params.get("region") or None
        try:
            params = ReportParams(campaign=campaign.code, scope=scope, region=region)
            data = report_for_reader(params, _org(request))
        except ReportError as error:
            field, _sep, message = str(error).partition(": ")
            return errors_response([{"field": field or None, "message": message or str(error)}], 400)
        return Response(data)


def _etag(assessment: Assessment) -> str:
    return f'"{assessment.version}"'


def _expected_version(request: Request) -> int:
    header = request.headers.get("If-Match")
    if not header:
        raise PreconditionRequired
    value = header.strip()
    if value.startswith("W/"):
        value = value[2:]
    value = value.strip('"')
    if not value.isdigit():
        raise PreconditionFailed
    return int(value)


class AssessmentViewSet(IdLookupMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_queryset(self):
        return (
            assessments_visible_to(_org(self.request))
            .select_related("campaign", "subject")
            .prefetch_related(
                Prefetch(
                    "answers", queryset=Answer.objects.select_related("axis").order_by("axis__position")
                ),
                "answers__milestones",
                Prefetch(
                    "answers__answer_blockers", queryset=AnswerBlocker.objects.select_related("category")
                ),
            )
            .order_by("campaign__code", "subject__code")
        )

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = f'"{response.data["version"]}"'
        return response

    def _editable(self, pk) -> Assessment:
        # Only the organisation's own subjects are writable; anything else is not found.
        _check_id(pk)
        return get_assessment_or_404(_org(self.request), pk, for_edit=True)

    def _conflict(self, error: Exception) -> Response:
        if isinstance(error, assessment_services.AssessmentConflict):
            return errors_response(
                [{"field": None, "message": str(error)}], status.HTTP_412_PRECONDITION_FAILED
            )
        if isinstance(error, assessment_services.AnswerInvalid):
            return errors_response(
                [{"field": p.field or None, "message": p.message} for p in error.problems], 400
            )
        if isinstance(error, assessment_services.AssessmentReadOnly):
            # A closed campaign (field "campaign") or a status that is not editable ("status").
            return errors_response(
                [{"field": p.field or None, "message": p.message} for p in error.problems],
                status.HTTP_409_CONFLICT,
            )
        if isinstance(error, assessment_services.SubmissionIncomplete):
            return errors_response([{"field": "answers", "message": str(error)}], 400)
        return errors_response([{"field": None, "message": str(error)}], 400)

    @extend_schema(
        request=serializers.AnswerWriteSerializer,
        parameters=[IF_MATCH, OpenApiParameter("axis", str, OpenApiParameter.PATH)],
        responses={
            200: serializers.AssessmentSerializer,
            400: ERRORS,
            404: ERRORS,
            409: ERRORS,
            412: ERRORS,
            428: ERRORS,
        },
    )
    @action(detail=True, methods=["put"], url_path=r"answers/(?P<axis>[^/]+)")
    def answer(self, request, pk=None, axis=None):
        """Create or replace the answer on one axis (level or not applicable, comment, the whole
        trajectory, the whole set of blockers)."""
        assessment = self._editable(pk)
        expected = _expected_version(request)
        if expected != assessment.version:
            raise PreconditionFailed
        body = serializers.AnswerWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answer = AnswerInput(
            axis=axis,
            level=data.get("level"),
            not_applicable=data["not_applicable"],
            not_applicable_reason=data["not_applicable_reason"],
            comment=data["comment"],
            milestones=tuple(
                MilestoneInput(level=m["level"], due_on=m["due_on"]) for m in data["milestones"]
            ),
            blockers=tuple(data["blockers"]),
        )
        try:
            assessment_services.answer_save(
                assessment=assessment, answer=answer, expected_version=expected, user=request.user
            )
        except (assessment_services.AssessmentError, DjangoValidationError) as error:
            return self._conflict(error)
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": _etag(fresh)})

    @extend_schema(
        request=None,
        parameters=[IF_MATCH],
        responses={
            200: serializers.AssessmentSerializer,
            400: ERRORS,
            404: ERRORS,
            409: ERRORS,
            412: ERRORS,
            428: ERRORS,
        },
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit the assessment for review: every applicable axis must be answered."""
        assessment = self._editable(pk)
        expected = _expected_version(request)
        if expected != assessment.version:
            raise PreconditionFailed
        try:
            assessment_services.assessment_submit(
                assessment=assessment, expected_version=expected, user=request.user
            )
        except assessment_services.AssessmentError as error:
            return self._conflict(error)
        fresh = self.get_queryset().get(pk=assessment.pk)
        return Response(self.get_serializer(fresh).data, headers={"ETag": _etag(fresh)})
