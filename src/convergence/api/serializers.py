from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from convergence.assessments.models import Answer, Assessment, Campaign
from convergence.catalog.models import Subject
from convergence.organisations.models import Organisation
from convergence.referential.models import Axis, BlockerCategory, Referential


class AxisSerializer(serializers.ModelSerializer):
    class Meta:
        model = Axis
        fields = ["code", "name", "name_en", "group", "position"]


class BlockerCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = BlockerCategory
        fields = ["code", "name", "name_en"]


class ReferentialSerializer(serializers.ModelSerializer):
    axes = AxisSerializer(many=True, read_only=True)
    blocker_categories = BlockerCategorySerializer(many=True, read_only=True)

    class Meta:
        model = Referential
        fields = [
            "code",
            "title",
            "title_en",
            "status",
            "published_on",
            "scale_min",
            "scale_max",
            "axes",
            "blocker_categories",
        ]


class OrganisationSerializer(serializers.ModelSerializer):
    # A region code of the nomenclature, or "" (vendors): plain text so that "" is valid.
    region = serializers.CharField(read_only=True)

    class Meta:
        model = Organisation
        fields = ["id", "code", "name", "kind", "region", "siren"]


class SubjectSerializer(serializers.ModelSerializer):
    organisation: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )
    code = serializers.SlugField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(read_only=True)

    class Meta:
        model = Subject
        fields = [
            "id",
            "code",
            "kind",
            "name",
            "organisation",
            "type_or_category",
            "status",
            "region",
            "version",
            "product_reference",
            "description",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "kind", "organisation", "region", "created_at", "updated_at"]
        extra_kwargs: dict[str, dict] = {"code": {"validators": []}}


class CampaignSerializer(serializers.ModelSerializer):
    referential: serializers.SlugRelatedField = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Campaign
        fields = ["code", "title", "referential", "scope", "status", "opens_on", "closes_on"]


class MilestoneSerializer(serializers.Serializer):
    level = serializers.IntegerField(min_value=0, max_value=100)
    due_on = serializers.DateField()


class AnswerSerializer(serializers.ModelSerializer):
    axis: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    milestones = serializers.SerializerMethodField()
    blockers = serializers.SerializerMethodField()

    class Meta:
        model = Answer
        fields = [
            "axis",
            "level",
            "not_applicable",
            "not_applicable_reason",
            "comment",
            "needs_recheck",
            "milestones",
            "blockers",
            "updated_at",
        ]

    @extend_schema_field(MilestoneSerializer(many=True))
    def get_milestones(self, answer: Answer) -> list[dict]:
        return [{"level": m.level, "due_on": m.due_on.isoformat()} for m in answer.milestones.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_blockers(self, answer: Answer) -> list[str]:
        return [b.category.code for b in answer.answer_blockers.all()]


class AssessmentSerializer(serializers.ModelSerializer):
    campaign: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    subject: serializers.SlugRelatedField = serializers.SlugRelatedField(slug_field="code", read_only=True)
    answers = AnswerSerializer(many=True, read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "campaign",
            "subject",
            "status",
            "version",
            "returned_reason",
            "submitted_at",
            "updated_at",
            "answers",
        ]


class AnswerWriteSerializer(serializers.Serializer):
    level = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    not_applicable = serializers.BooleanField(required=False, default=False)
    not_applicable_reason = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=10_000
    )
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=10_000)
    milestones = MilestoneSerializer(many=True, required=False, default=list)
    blockers = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, default=list
    )


class ErrorSerializer(serializers.Serializer):
    field = serializers.CharField(allow_null=True)
    message = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)  # type: ignore[assignment]  # a field named like Serializer.errors
