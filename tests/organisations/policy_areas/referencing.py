"""Referencing and notifications in the executable access policy: a published programme, one
dossier per declaring organisation (each with an award and an open audit), a commission
meeting, and a notification per role."""

from __future__ import annotations

import datetime
from typing import Any

PROGRAMME_YAML = """
code: policy-programme
title: Programme de la politique d'accès
referential: doctrine-policy
scope: products
eligible: [dpi]
opens_on: 2020-01-01
closes_on: 2030-12-31
validity_months: 36
requirements:
  - {code: socle, title: Socle, minimum_levels: {INS: 2}}
"""


def build(world) -> None:
    from convergence.notifications.services import notify
    from convergence.referencing import services
    from convergence.referencing.models import Audit, Award, CommissionMeeting, Dossier

    programme = services.programme_import(actor=None, organisation=None, source=PROGRAMME_YAML).programme
    services.programme_publish(actor=None, organisation=None, programme=programme)
    world.extra["programme"] = programme
    analyst = world.users["agency_analyst"]
    meeting = CommissionMeeting.objects.create(title="Commission", held_on=datetime.date(2030, 1, 1))
    meeting.members.set([analyst])
    world.extra["meeting"] = meeting
    today = datetime.date.today()
    for key in ("vendor", "other_vendor", "grades", "ars"):
        org_world = world.orgs[key]
        dossier = Dossier.objects.create(
            programme=programme, subject=org_world.subject, status="commission", created_by=analyst
        )
        meeting.dossiers.add(dossier)
        award = Award.objects.create(
            dossier=dossier,
            referential=programme.referential,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=365),
        )
        org_world.extra["dossier"] = dossier
        org_world.extra["award"] = award
        org_world.extra["audit"] = Audit.objects.create(
            award=award, scope="Périmètre", starts_on=today, ends_on=today, opened_by=analyst
        )
    for role, user in world.users.items():
        (notification,) = notify(event="decision", title=f"Pour {role}", users=[user])
        world.extra[f"notification-{role}"] = notification


def _extra(world, role: str, name: str) -> Any:
    return world.subject_objects(role).extra[name]


def _dossier(world, role):
    return {"pk": _extra(world, role, "dossier").pk}


def _award(world, role):
    return {"pk": _extra(world, role, "award").pk}


def _programme(world, role):
    return {"pk": world.extra["programme"].pk}


def _code(world, role):
    return {"code": world.orgs["vendor"].extra["award"].verification_code}


def _notification(world, role):
    # Another member (and the anonymous visitor) asks for the employee's notification.
    owner = "employee" if role in ("other_member", "anonymous") else role
    return {"pk": world.extra[f"notification-{owner}"].pk}


KWARGS = {
    "api:referencing-programme-detail": (_programme, None),
    "api:referencing-programme-dossiers": (_programme, None),
    "api:referencing-dossier-detail": (_dossier, "subject"),
    "notifications:read": (_notification, "own"),
    "referencing:programme": (_programme, None),
    "referencing:programme_export": (_programme, None),
    "referencing:programme_publish": (_programme, None),
    "referencing:apply": (_programme, None),
    "referencing:programme_dossiers_xlsx": (_programme, None),
    "referencing:dossier": (_dossier, "subject"),
    "referencing:dossier_edit": (_dossier, "subject"),
    "referencing:dossier_submit": (_dossier, "subject"),
    "referencing:complements_answer": (_dossier, "subject"),
    "referencing:dossier_referent": (_dossier, "subject"),
    "referencing:dossier_instruct": (_dossier, "subject"),
    "referencing:dossier_finding": (_dossier, "subject"),
    "referencing:dossier_complements": (_dossier, "subject"),
    "referencing:dossier_commission": (_dossier, "subject"),
    "referencing:meeting": (lambda w, role: {"pk": w.extra["meeting"].pk}, None),
    "referencing:opinion": (
        lambda w, role: {"pk": w.extra["meeting"].pk, "dossier_pk": _extra(w, role, "dossier").pk},
        "subject",
    ),
    "referencing:award": (_award, "subject"),
    "referencing:reservations_lift": (_award, "subject"),
    "referencing:audit_open": (_award, "subject"),
    "referencing:audit_close": (lambda w, role: {"pk": _extra(w, role, "audit").pk}, "subject"),
    "referencing:attestation": (_code, None),
    "referencing:attestation_pdf": (_code, None),
    "referencing:report": (_code, None),
}

DATA = {
    "notifications:preferences": lambda w, role: {"decision-in_app": "on"},
    "referencing:programme_import": lambda w, role: {"source": PROGRAMME_YAML.replace("36", "24")},
    "referencing:apply": lambda w, role: {"subject": w.subject_objects(role).subject.pk},
    "referencing:dossier_edit": lambda w, role: {"explanation-socle": "Prévu", "submit": "1"},
    "referencing:complements_answer": lambda w, role: {"answer": "Voici"},
    "referencing:dossier_referent": lambda w, role: {"referent": w.users["agency_analyst"].pk},
    "referencing:dossier_finding": lambda w, role: {
        "requirement": w.extra["programme"].requirements.get().pk,
        "met": "yes",
    },
    "referencing:dossier_complements": lambda w, role: {"message": "Complétez", "due_on": "2030-01-01"},
    "referencing:dossier_commission": lambda w, role: {"meeting": w.extra["meeting"].pk},
    "referencing:meetings": lambda w, role: {"title": "Nouvelle", "held_on": "2030-02-01"},
    "referencing:opinion": lambda w, role: {"opinion": "favourable"},
    "referencing:audit_open": lambda w, role: {
        "scope": "Tout",
        "starts_on": "2030-01-01",
        "ends_on": "2030-01-02",
    },
    "referencing:audit_close": lambda w, role: {
        "report": "Conforme",
        "outcome": "withdrawn",
        "reason": "Test",
    },
    "referencing:report": lambda w, role: {"description": "Une non-conformité constatée."},
}
