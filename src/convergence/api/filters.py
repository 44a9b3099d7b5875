import django_filters

from convergence.assessments.models import Assessment
from convergence.catalog.models import Subject


class SubjectFilter(django_filters.FilterSet):
    organisation = django_filters.CharFilter(field_name="organisation__code")

    class Meta:
        model = Subject
        fields = ["kind", "status", "type_or_category", "region", "organisation"]


class AssessmentFilter(django_filters.FilterSet):
    campaign = django_filters.CharFilter(field_name="campaign__code")
    subject = django_filters.CharFilter(field_name="subject__code")

    class Meta:
        model = Assessment
        fields = ["campaign", "subject", "status"]
