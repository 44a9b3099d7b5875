from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "convergence.catalog"
    label = "catalog"
