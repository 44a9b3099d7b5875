from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "convergence.assessments"
    label = "assessments"
