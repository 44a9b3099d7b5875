"""Reads on imports, through the acting organisation: an organisation sees only its own web
imports; another organisation's import (its token) is a 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from convergence.organisations.models import Organisation

from .models import ImportRun


def import_runs_visible_to(organisation: Organisation | None) -> QuerySet[ImportRun]:
    """The web imports made for the organisation (the agency's own included), newest first."""
    if organisation is None:
        return ImportRun.objects.none()
    return ImportRun.objects.filter(source=ImportRun.Source.WEB, organisation=organisation).select_related(
        "user"
    )


def get_import_run_or_404(organisation: Organisation | None, token: str) -> ImportRun:
    run = import_runs_visible_to(organisation).filter(token=token).first()
    if run is None:
        raise Http404
    return run
