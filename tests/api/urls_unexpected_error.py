"""The project's URLs plus one API view that fails unexpectedly (for the 500 test)."""

from django.urls import path
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny

from convergence.urls import handler404, handler500  # noqa: F401
from convergence.urls import urlpatterns as project_urlpatterns


@api_view(["GET"])
@permission_classes([AllowAny])
def failing_view(request):
    raise ZeroDivisionError("a bug, with internals: /srv/secret/path.py")


urlpatterns = [path("api/failing/", failing_view), *project_urlpatterns]
