from django.urls import path

from . import views

app_name = "web"
urlpatterns = [
    path("", views.home, name="home"),
    path("accessibilite/", views.accessibility, name="accessibility"),
    path("glossaire/", views.glossary, name="glossary"),
    path("recherche/", views.search, name="search"),
]

ACCESS_POLICY = {
    "home": "public",
    "accessibility": "public",
    "glossary": "public",
    "search": "authenticated",  # each kind is read through its app's selector (what one may see)
}
