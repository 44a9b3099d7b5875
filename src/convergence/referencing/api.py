"""REST API of referencing (registered in `convergence.api.urls`): the programmes, the acting
organisation's dossiers and their status (the agency: every one), the public register, and a
programme's dossiers as XLSX (the agency gets every dossier; another organisation its own)."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from convergence.organisations.tenancy import acting_organisation

from . import register, selectors
from .enums import AwardState
from .models import Dossier, EligibilityQuestion, Programme, Requirement

MAX_ID = 2**63 - 1


def _acting(request):
    return acting_organisation(request._request)


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = EligibilityQuestion
        fields = ["code", "text"]


class RequirementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Requirement
        fields = [
            "code",
            "title",
            "minimum_levels",
            "evidence_on",
            "charter",
            "applies_if_question",
            "applies_if_answer",
        ]


class ProgrammeSerializer(serializers.ModelSerializer):
    referential = serializers.CharField(source="referential.code", read_only=True)
    questions = QuestionSerializer(many=True, read_only=True)
    requirements = RequirementSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "code",
            "version",
            "title",
            "status",
            "referential",
            "scope",
            "eligible_codes",
            "opens_on",
            "closes_on",
            "validity_months",
            "questions",
            "requirements",
        ]


class DossierSerializer(serializers.ModelSerializer):
    programme = serializers.CharField(source="programme.code", read_only=True)
    programme_version = serializers.IntegerField(source="programme.version", read_only=True)
    subject = serializers.CharField(source="subject.code", read_only=True)
    organisation = serializers.CharField(source="subject.organisation.code", read_only=True)

    class Meta:
        model = Dossier
        fields = [
            "id",
            "programme",
            "programme_version",
            "subject",
            "organisation",
            "status",
            "due_on",
            "submitted_at",
            "eligibility_answers",
            "updated_at",
        ]


class _IdLookup:
    def get_object(self):
        value = str(self.kwargs.get("pk", ""))  # type: ignore[attr-defined]
        if not (value.isdigit() and int(value) <= MAX_ID):
            raise NotFound
        return super().get_object()  # type: ignore[misc]


class ProgrammeViewSet(_IdLookup, viewsets.ReadOnlyModelViewSet):
    serializer_class = ProgrammeSerializer

    def get_queryset(self):
        return (
            selectors.programmes_visible_to(_acting(self.request))
            .prefetch_related("questions", "requirements")
            .order_by("code", "-version")
        )

    @extend_schema(
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                description="XLSX workbook"
            )
        }
    )
    @action(detail=True, methods=["get"], url_path="dossiers.xlsx")
    def dossiers(self, request, pk=None):
        programme = self.get_object()
        dossiers = selectors.dossiers_visible_to(_acting(request)).filter(programme=programme)
        response = HttpResponse(
            register.dossiers_xlsx(programme, dossiers=dossiers),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="dossiers-{programme.code}-v{programme.version}.xlsx"'
        )
        return response


class DossierViewSet(_IdLookup, viewsets.ReadOnlyModelViewSet):
    serializer_class = DossierSerializer

    def get_queryset(self):
        return selectors.dossiers_visible_to(_acting(self.request)).order_by("pk")


class RegisterRecordSerializer(serializers.Serializer):
    """One award of the register (fields: `register.FIELDS`)."""

    programme = serializers.CharField()
    programme_version = serializers.IntegerField()
    programme_title = serializers.CharField()
    product = serializers.CharField()
    product_version = serializers.CharField(allow_blank=True)
    vendor = serializers.CharField()
    vendor_siren = serializers.CharField(allow_blank=True)
    referential = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    state = serializers.ChoiceField(choices=AwardState.choices)
    verification_url = serializers.CharField()


class RegisterSerializer(serializers.Serializer):
    awards = RegisterRecordSerializer(many=True)


class RegisterView(APIView):
    """The public register of awards (the same records as registre.json; schema: registre.schema.json)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes: list = []

    @extend_schema(responses={200: RegisterSerializer})
    def get(self, request):
        return Response({"awards": register.register_records(request.build_absolute_uri("/"))})
