"""A realistic, deterministic demonstration data set (also used by the benchmarks in bench/).

`generate(scale=1.0, seed=DEFAULT_SEED)` writes, in one transaction and with bulk inserts:
the national agency, the ARS and GRADeS of the 18 regions, about 350 regional services over the
typology, about 100 vendors (valid SIRENs) with about 500 products, and two campaigns —
2025-S2 on doctrine-2019 (closed) and 2026-S2 on doctrine-2023 (open, prefilled from 2025-S2
by `campaign_open`) — with answers, dated trajectories, blockers, returned and validated
assessments and drafts. The same seed and scale always give the same rows and codes.

Figures are shaped after the public 2020 results: INS, MSSanté and interoperability high,
DMP low, with the blockers the regions reported (DMP → articulation not visible, ROR → national
calendar, MSSanté → migration not planned, INS → calendar / uses not covered).
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from convergence.assessments.campaigns import campaign_open
from convergence.assessments.enums import AssessmentStatus, CampaignScope, CampaignStatus
from convergence.assessments.models import Answer, AnswerBlocker, Assessment, Campaign, Milestone
from convergence.catalog.enums import SubjectKind, SubjectStatus
from convergence.catalog.models import Subject
from convergence.lib.regions import REGIONS
from convergence.organisations.enums import OrganisationKind
from convergence.organisations.models import Organisation, User
from convergence.referential.models import Axis, BlockerCategory, Expectation, Referential, ServiceType

DEFAULT_SEED = 20251125
PAST_CAMPAIGN = "2025-S2"
CURRENT_CAMPAIGN = "2026-S2"
AGENCY_CODE = "ans"

# Level weights (0, 1, 2, 3) per axis: INS, MSS and INTEROP high, DMP low, the rest in between.
LEVEL_WEIGHTS = {
    "INS": (1, 3, 26, 70),
    "MSS": (2, 6, 34, 58),
    "INTEROP": (1, 3, 30, 66),
    "DMP": (22, 38, 28, 12),
    "ROR": (8, 22, 42, 28),
}
DEFAULT_WEIGHTS = (5, 15, 45, 35)

# Blockers cited on an axis that is below its expected level: (category code, probability).
AXIS_BLOCKERS = {
    "DMP": [("visibilite-articulation", 0.55), ("financement", 0.1)],
    "ROR": [("calendrier-national", 0.6)],
    "MSS": [("migration-non-planifiee", 0.6), ("conduite-changement", 0.15)],
    "INS": [("calendrier-national", 0.35), ("usages-non-couverts", 0.3)],
    "PSC": [("dependance-editeur", 0.3)],
    "EPRESC": [("calendrier-national", 0.25), ("dependance-editeur", 0.2)],
    "SECU": [("ressources-humaines", 0.25), ("financement", 0.2)],
}
OTHER_BLOCKERS = [("ressources-humaines", 0.12), ("financement", 0.1), ("referentiel-inadapte", 0.05)]

NOT_APPLICABLE_REASONS = [
    "Le service ne traite pas de données de santé nominatives.",
    "Aucun professionnel de santé n'utilise directement le service.",
    "Fonction assurée par un autre service régional.",
    "Pas d'échange de documents de santé dans ce périmètre.",
    "Usage exclusivement administratif.",
]
RETURN_REASONS = [
    "Le niveau 3 sur l'INS suppose un usage en routine : merci de préciser les volumes ou de corriger.",
    "La trajectoire DMP n'a pas de date : merci d'ajouter un jalon daté.",
    "Le niveau déclaré sur la messagerie sécurisée ne correspond pas à la liste des opérateurs MSSanté.",
    "Merci de justifier le « non applicable » sur l'interopérabilité.",
    "Le frein « calendrier national » est cité sans commentaire : merci de préciser.",
]
COMMENTS = [
    "Déploiement progressif par établissement.",
    "Mise en conformité prévue avec la prochaine version majeure.",
    "Pilote en cours dans deux départements.",
    "Dépend de la disponibilité du téléservice national.",
    "Conforme, en production depuis l'an dernier.",
    "",
    "",
    "",
]
MILESTONE_DATES = [
    datetime.date(2026, 6, 30),
    datetime.date(2026, 12, 31),
    datetime.date(2027, 6, 30),
    datetime.date(2027, 12, 31),
    datetime.date(2028, 6, 30),
    datetime.date(2028, 12, 31),
    datetime.date(2029, 12, 31),
]

GRADES_NAMES = {
    "01": "GIP e-santé Guadeloupe",
    "02": "GIP e-santé Martinique",
    "03": "GCS e-santé Guyane",
    "04": "GCS TESIS (La Réunion)",
    "06": "GIP e-santé Mayotte",
    "11": "GIP SESAN (Île-de-France)",
    "24": "GIP e-santé Centre-Val de Loire",
    "27": "GRADeS e-santé Bourgogne-Franche-Comté",
    "28": "GIP Normand'e-santé",
    "32": "GIP Sant& Numérique Hauts-de-France",
    "44": "GIP Pulsy (Grand Est)",
    "52": "GIP e-santé Pays de la Loire",
    "53": "GCS e-santé Bretagne",
    "75": "GIP ESEA Nouvelle-Aquitaine",
    "76": "GIP e-santé Occitanie",
    "84": "GCS SARA (Auvergne-Rhône-Alpes)",
    "93": "GRADeS ieSS (Provence-Alpes-Côte d'Azur)",
    "94": "GRADeS e-santé Corse",
}
VENDOR_PREFIXES = [
    "Medi", "Axi", "Cardio", "Clini", "Evo", "Hexa", "Inno", "Nova", "Omni", "Pharma",
    "Proxi", "Sana", "Tele", "Vita", "Alto", "Bio", "Cura", "Helio", "Lumi", "Orbi",
]  # fmt: skip
VENDOR_SUFFIXES = ["log", "soft", "sys", "tech", "data", "net", "link", "care", "med", "ware"]
LEGAL_FORMS = ["SAS", "SA", "SARL", "SAS", "SAS"]
PRODUCT_WORDS = {
    "dpi": ["DPI", "Hospital", "Dossier Patient"],
    "lgc": ["Cabinet", "Médecin", "Praticien"],
    "lgo": ["Officine", "Pharma", "Comptoir"],
    "sgl": ["Labo", "Biologie", "SGL"],
    "ris-pacs": ["Imagerie", "PACS", "RIS"],
    "dui-ms": ["Médico-social", "Résidence", "DUI"],
    "teleconsultation": ["Téléconsult", "Visio Santé", "Consult"],
    "coordination": ["Parcours", "Coordination", "Lien"],
    "app-patient": ["Patient", "Mon Suivi", "Compagnon"],
    "messagerie": ["Messagerie", "Mail Santé", "Secure Mail"],
    "lap": ["Prescription", "LAP", "Ordo"],
    "dm-connecte": ["Connect", "Capteur", "Tensio"],
    "centre-sante": ["Centre", "Multisite", "Maison de santé"],
    "rdv-en-ligne": ["Agenda", "RDV", "Planning"],
}
# Relative frequency of product categories (DPI, LGC and LGO are the big markets).
CATEGORY_WEIGHTS = {
    "dpi": 9, "lgc": 10, "lgo": 6, "sgl": 4, "ris-pacs": 5, "dui-ms": 7, "teleconsultation": 7,
    "coordination": 6, "app-patient": 7, "messagerie": 3, "lap": 4, "dm-connecte": 4, "centre-sante": 3,
    "rdv-en-ligne": 4,
}  # fmt: skip
PLATFORMS = [("iOS Mobile", "Android Mobile"), ("Site Web", "Application Mobile"), ("Windows", "Web")]


@dataclass
class DemoCounts:
    organisations: int = 0
    services: int = 0
    products: int = 0
    assessments: dict[str, int] = field(default_factory=dict)
    answers: int = 0
    milestones: int = 0
    blockers: int = 0
    skipped: bool = False


def siren_with_check_digit(first_eight: str) -> str:
    """Complete 8 digits into a SIREN whose Luhn checksum is valid."""
    for last in "0123456789":
        candidate = first_eight + last
        total = 0
        for index, char in enumerate(reversed(candidate)):
            digit = int(char) * (2 if index % 2 else 1)
            total += digit - 9 if digit > 9 else digit
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable: one check digit always fits")


def is_loaded() -> bool:
    return Campaign.objects.filter(code=CURRENT_CAMPAIGN).exists()


class _Typology:
    """Expectations of an edition: (kind, type/category code) → {axis code: expected level}."""

    def __init__(self, referential: Referential):
        self.referential = referential
        self.axes = {axis.code: axis for axis in Axis.objects.filter(referential=referential)}
        self.blockers = dict(
            BlockerCategory.objects.filter(referential=referential).values_list("code", "id")
        )
        self.expected: dict[tuple[str, str], dict[str, int | None]] = {}
        for type_code, category_code, axis_code, level in Expectation.objects.filter(
            referential=referential
        ).values_list("service_type__code", "product_category__code", "axis__code", "expected_level"):
            key = (SubjectKind.SERVICE, type_code) if type_code else (SubjectKind.PRODUCT, category_code)
            self.expected.setdefault(key, {})[axis_code] = level

    def applicable(self, subject: Subject) -> dict[str, int | None]:
        return self.expected.get((subject.kind, subject.type_or_category), {})


class _Generator:
    def __init__(self, *, scale: float, seed: int, stdout=None):
        self.scale = scale
        self.random = random.Random(seed)
        self.stdout = stdout
        self.counts = DemoCounts()

    def say(self, message: str) -> None:
        if self.stdout is not None:
            self.stdout.write(message)

    # Organisations and subjects

    def organisations(
        self,
    ) -> tuple[Organisation, dict[str, Organisation], dict[str, Organisation], list[Organisation]]:
        agency = Organisation(
            code=AGENCY_CODE, name="Agence du numérique en santé", kind=OrganisationKind.AGENCY
        )
        ars, grades = {}, {}
        for code, name in REGIONS.items():
            slug = slugify(name)
            ars[code] = Organisation(
                code=f"ars-{slug}", name=f"ARS {name}", kind=OrganisationKind.ARS, region=code
            )
            grades[code] = Organisation(
                code=f"grades-{slug}", name=GRADES_NAMES[code], kind=OrganisationKind.GRADES, region=code
            )
        vendor_count = max(2, round(100 * self.scale))
        names = [p + s for p in VENDOR_PREFIXES for s in VENDOR_SUFFIXES]
        self.random.shuffle(names)
        vendors = []
        sirens: set[str] = set()
        for index in range(vendor_count):
            base = names[index % len(names)] + ("" if index < len(names) else f" {index // len(names) + 1}")
            siren = siren_with_check_digit(f"{self.random.randrange(30_000_000, 99_999_999):08d}")
            while siren in sirens:
                siren = siren_with_check_digit(f"{self.random.randrange(30_000_000, 99_999_999):08d}")
            sirens.add(siren)
            vendors.append(
                Organisation(
                    code=slugify(base),
                    name=f"{base} {self.random.choice(LEGAL_FORMS)}",
                    kind=OrganisationKind.VENDOR,
                    siren=siren,
                )
            )
        everything = [agency, *ars.values(), *grades.values(), *vendors]
        Organisation.objects.bulk_create(everything)
        self.counts.organisations = len(everything)
        return agency, ars, grades, vendors

    def services(self, ars: dict[str, Organisation], grades: dict[str, Organisation]) -> list[Subject]:
        current = Referential.objects.get(code="doctrine-2023")
        types = list(ServiceType.objects.filter(referential=current).select_related("family"))
        core = [t for t in types if t.common_core]
        specific = [t for t in types if not t.common_core]
        target = round(350 * self.scale)
        per_region = max(1, target // len(REGIONS))
        subjects = []
        for region_index, (region, region_name) in enumerate(REGIONS.items()):
            # Most regions cover most of the common core, then some region-specific types.
            count = per_region + (1 if region_index < target - per_region * len(REGIONS) else 0)
            chosen = self.random.sample(core, k=min(len(core), max(1, round(count * 0.8))))
            while len(chosen) < count:
                chosen.append(self.random.choice(specific if self.random.random() < 0.7 else core))
            seen: dict[str, int] = {}
            for service_type in chosen:
                seen[service_type.code] = seen.get(service_type.code, 0) + 1
                rank = seen[service_type.code]
                operator = ars[region] if self.random.random() < 0.2 else grades[region]
                status = self.random.choices(
                    [
                        SubjectStatus.ACTIVE,
                        SubjectStatus.DEPLOYING,
                        SubjectStatus.TECHNICAL,
                        SubjectStatus.RETIRED,
                    ],
                    weights=[88, 5, 4, 3],
                )[0]
                if service_type.family.code == "infrastructure" and self.random.random() < 0.5:
                    status = SubjectStatus.TECHNICAL
                suffix = "" if rank == 1 else f" {rank}"
                subjects.append(
                    Subject(
                        code=f"{slugify(region_name)}-{service_type.code}{'' if rank == 1 else f'-{rank}'}",
                        kind=SubjectKind.SERVICE,
                        name=f"{service_type.name} {region_name}{suffix}",
                        organisation=operator,
                        type_or_category=service_type.code,
                        status=status,
                        region=region,
                        description=(
                            f"Service régional de type « {service_type.name} » ({service_type.family.name})."
                        ),
                    )
                )
        Subject.objects.bulk_create(subjects)
        self.counts.services = len(subjects)
        return subjects

    def products(self, vendors: list[Organisation]) -> list[Subject]:
        target = round(500 * self.scale)
        categories = list(CATEGORY_WEIGHTS)
        weights = [CATEGORY_WEIGHTS[c] for c in categories]
        # Spread `target` products over the vendors: a few big vendors, many small ones.
        shares = [self.random.paretovariate(1.6) for _ in vendors]
        total = sum(shares)
        per_vendor = [max(1, round(target * share / total)) for share in shares]
        products: list[Subject] = []
        for vendor, count in zip(vendors, per_vendor, strict=True):
            main = self.random.choices(categories, weights=weights)[0]
            for index in range(count):
                category = (
                    main
                    if index == 0 or self.random.random() < 0.5
                    else self.random.choices(categories, weights)[0]
                )
                word = self.random.choice(PRODUCT_WORDS[category])
                brand = vendor.name.rsplit(" ", 1)[0]
                version = f"{self.random.randint(1, 12)}.{self.random.randint(0, 9)}"
                status = self.random.choices(
                    [SubjectStatus.ACTIVE, SubjectStatus.DEPLOYING, SubjectStatus.RETIRED], weights=[86, 8, 6]
                )[0]
                name = f"{brand} {word}" + ("" if index < 3 else f" {index}")
                reference = f"{vendor.siren[:3]}-{category.upper()}-{index + 1:03d}"
                variants = [""]
                if (
                    category in {"app-patient", "teleconsultation", "rdv-en-ligne"}
                    and self.random.random() < 0.35
                ):
                    variants = list(self.random.choice(PLATFORMS))  # maturity differs by platform
                for platform in variants:
                    full_name = f"{name} {platform}".strip()
                    products.append(
                        Subject(
                            code=slugify(f"{vendor.code}-{word}-{index + 1}-{platform}".rstrip("-")),
                            kind=SubjectKind.PRODUCT,
                            name=full_name,
                            organisation=vendor,
                            type_or_category=category,
                            status=status,
                            version=version,
                            product_reference=reference,
                            description=f"{full_name}, version {version}.",
                        )
                    )
        # Codes must be unique even when two names slug the same way.
        seen: dict[str, int] = {}
        for product in products:
            seen[product.code] = seen.get(product.code, 0) + 1
            if seen[product.code] > 1:
                product.code = f"{product.code}-{seen[product.code]}"
        Subject.objects.bulk_create(products)
        self.counts.products = len(products)
        return products

    # Assessments

    def level(self, axis_code: str, shift: int = 0) -> int:
        level = self.random.choices(range(4), weights=LEVEL_WEIGHTS.get(axis_code, DEFAULT_WEIGHTS))[0]
        return max(0, min(3, level + shift))

    def answer_rows(
        self,
        assessment: Assessment,
        subject: Subject,
        typology: _Typology,
        *,
        shift: int,
        today: datetime.date,
    ) -> list[tuple[Answer, list[Milestone], list[int]]]:
        rows: list[tuple[Answer, list[Milestone], list[int]]] = []
        for axis_code, expected in typology.applicable(subject).items():
            axis = typology.axes[axis_code]
            not_applicable = self.random.random() < (0.35 if expected is None else 0.01)
            if not_applicable:
                answer = Answer(
                    assessment=assessment,
                    axis=axis,
                    level=None,
                    not_applicable=True,
                    not_applicable_reason=self.random.choice(NOT_APPLICABLE_REASONS),
                )
                rows.append((answer, [], []))
                continue
            level = self.level(axis_code, shift)
            answer = Answer(
                assessment=assessment, axis=axis, level=level, comment=self.random.choice(COMMENTS)
            )
            milestones: list[Milestone] = []
            target = expected if expected is not None else 3
            if level < 3 and self.random.random() < 0.75:
                # A trajectory: one step per level up to the expected level (or 3), on increasing dates.
                start = self.random.randrange(0, 3)
                steps = list(range(level + 1, max(target, level + 1) + 1))
                dates = MILESTONE_DATES[start : start + len(steps)]
                for step, due_on in zip(steps, dates, strict=False):
                    milestones.append(Milestone(answer=answer, level=step, due_on=due_on))
            blockers: list[int] = []
            if expected is not None and level < expected:
                for code, probability in AXIS_BLOCKERS.get(axis_code, OTHER_BLOCKERS):
                    if code in typology.blockers and self.random.random() < probability:
                        blockers.append(typology.blockers[code])
            rows.append((answer, milestones, blockers))
        return rows

    def write_answers(self, rows: list[tuple[Answer, list[Milestone], list[int]]]) -> None:
        Answer.objects.bulk_create([answer for answer, _m, _b in rows], batch_size=1000)
        milestones = [m for answer, ms, _b in rows for m in ms]
        for milestone in milestones:
            milestone.answer_id = milestone.answer.pk  # the answer got its id from bulk_create
        Milestone.objects.bulk_create(milestones, batch_size=1000)
        blockers = [AnswerBlocker(answer_id=answer.pk, category_id=c) for answer, _m, bs in rows for c in bs]
        AnswerBlocker.objects.bulk_create(blockers, batch_size=1000)
        self.counts.answers += len(rows)
        self.counts.milestones += len(milestones)
        self.counts.blockers += len(blockers)

    def review_fields(self, status: str, campaign: Campaign, reviewer: User | None) -> dict:
        opened = datetime.datetime.combine(campaign.opens_on, datetime.time(9), tzinfo=datetime.UTC)
        submitted = opened + datetime.timedelta(
            days=self.random.randint(10, 80), hours=self.random.randint(0, 8)
        )
        fields: dict = {}
        if status in (AssessmentStatus.SUBMITTED, AssessmentStatus.VALIDATED, AssessmentStatus.RETURNED):
            fields["submitted_at"] = submitted
        if status in (AssessmentStatus.VALIDATED, AssessmentStatus.RETURNED):
            fields["reviewed_at"] = submitted + datetime.timedelta(days=self.random.randint(2, 20))
            fields["reviewed_by"] = reviewer
        if status == AssessmentStatus.RETURNED:
            fields["returned_reason"] = self.random.choice(RETURN_REASONS)
        return fields

    def past_campaign(self, subjects: list[Subject], reviewer: User | None) -> Campaign:
        referential = Referential.objects.get(code="doctrine-2019")
        campaign = Campaign.objects.create(
            code=PAST_CAMPAIGN,
            title="Campagne 2025 — second semestre",
            referential=referential,
            scope=CampaignScope.BOTH,
            opens_on=datetime.date(2025, 9, 1),
            closes_on=datetime.date(2025, 12, 12),
            status=CampaignStatus.CLOSED,
            instructions=(
                "Évaluez chaque produit déployé et chaque service régional actif sur la doctrine 2019."
            ),
        )
        typology = _Typology(referential)
        assessments, by_assessment = [], []
        for subject in subjects:
            if subject.status not in (SubjectStatus.ACTIVE, SubjectStatus.RETIRED):
                continue  # retired since: still assessed back then
            if not typology.applicable(subject) or self.random.random() < 0.08:
                continue  # type unknown to 2019, or not assessed that semester
            status = self.random.choices(
                [
                    AssessmentStatus.VALIDATED,
                    AssessmentStatus.SUBMITTED,
                    AssessmentStatus.RETURNED,
                    AssessmentStatus.DRAFT,
                ],
                weights=[78, 8, 5, 9],
            )[0]
            assessment = Assessment(
                campaign=campaign,
                subject=subject,
                status=status,
                **self.review_fields(status, campaign, reviewer),
            )
            assessments.append(assessment)
            by_assessment.append((assessment, subject))
        Assessment.objects.bulk_create(assessments, batch_size=1000)
        rows = []
        for assessment, subject in by_assessment:
            rows += self.answer_rows(
                assessment,
                subject,
                typology,
                shift=-1 if self.random.random() < 0.3 else 0,
                today=campaign.closes_on,
            )
        self.write_answers(rows)
        return campaign

    def current_campaign(self, reviewer: User | None) -> Campaign:
        referential = Referential.objects.get(code="doctrine-2023")
        campaign = Campaign.objects.create(
            code=CURRENT_CAMPAIGN,
            title="Campagne 2026 — second semestre",
            referential=referential,
            scope=CampaignScope.BOTH,
            opens_on=datetime.date(2026, 9, 1),
            closes_on=datetime.date(2026, 12, 15),
            status=CampaignStatus.DRAFT,
            instructions=(
                "Les réponses validées de la campagne 2025 sont reprises : vérifiez en priorité les axes "
                "marqués « à revoir » (doctrine 2023)."
            ),
        )
        # The real opening path: drafts for every active subject, carried over from 2025-S2.
        campaign_open(campaign=campaign, user=None, today=campaign.opens_on)
        typology = _Typology(referential)
        drafts = list(
            Assessment.objects.filter(campaign=campaign).select_related("subject").order_by("subject__code")
        )
        rewritten, rows = [], []
        for assessment in drafts:
            status = self.random.choices(
                [
                    AssessmentStatus.VALIDATED,
                    AssessmentStatus.SUBMITTED,
                    AssessmentStatus.RETURNED,
                    AssessmentStatus.DRAFT,
                ],
                weights=[32, 24, 9, 35],
            )[0]
            if status == AssessmentStatus.DRAFT:
                if assessment.carried_from_id is None and self.random.random() < 0.5:
                    # A first assessment in progress: some axes answered.
                    partial = self.answer_rows(
                        assessment, assessment.subject, typology, shift=0, today=campaign.opens_on
                    )
                    rows += partial[: max(1, len(partial) // 2)]
                continue
            for name, value in self.review_fields(status, campaign, reviewer).items():
                setattr(assessment, name, value)
            assessment.status = status
            rewritten.append(assessment)
            rows += self.answer_rows(
                assessment, assessment.subject, typology, shift=0, today=campaign.opens_on
            )
        # Submitted assessments were re-answered in full: their carried answers make way.
        Answer.objects.filter(assessment__in=rewritten).delete()
        Assessment.objects.bulk_update(
            rewritten,
            ["status", "submitted_at", "reviewed_at", "reviewed_by", "returned_reason"],
            batch_size=500,
        )
        self.write_answers(rows)
        # Totals from the database: campaign_open also carried milestones and blockers over.
        self.counts.answers = Answer.objects.count()
        self.counts.milestones = Milestone.objects.count()
        self.counts.blockers = AnswerBlocker.objects.count()
        return campaign


@transaction.atomic
def generate(*, scale: float = 1.0, seed: int = DEFAULT_SEED, stdout=None) -> DemoCounts:
    """Write the demonstration data set; does nothing if it is already there.

    The referentials must be loaded (see `load_default_referentials`). `scale` multiplies the
    number of services, vendors and products (benchmarks use larger scales).
    """
    if is_loaded():
        return DemoCounts(skipped=True)
    generator = _Generator(scale=scale, seed=seed, stdout=stdout)
    started = timezone.now()
    agency, ars, grades, vendors = generator.organisations()
    services = generator.services(ars, grades)
    products = generator.products(vendors)
    generator.say(f"{len(services)} services, {len(products)} products")
    accounts_ensure(password=None)
    reviewer = User.objects.filter(email=DEMO_ACCOUNTS[-2][0]).first()
    generator.past_campaign(services + products, reviewer)
    generator.current_campaign(reviewer)
    counts = generator.counts
    for code, status, number in _assessment_counts():
        counts.assessments[f"{code}:{status}"] = number
    generator.say(f"generated in {(timezone.now() - started).total_seconds():.1f} s")
    return counts


# Demo accounts: (e-mail, organisation code or a marker resolved below, role).
DEMO_ACCOUNTS = [
    ("mandataire.editeur@demo.convergence.test", "vendor", "mandataire"),
    ("representant.editeur@demo.convergence.test", "vendor", "representant"),
    ("salarie.editeur@demo.convergence.test", "vendor", "salarie"),
    ("administrateur.ars@demo.convergence.test", "ars-occitanie", "administrateur"),
    ("contributeur.ars@demo.convergence.test", "ars-occitanie", "contributeur"),
    ("administrateur.grades@demo.convergence.test", "grades-occitanie", "administrateur"),
    ("contributeur.grades@demo.convergence.test", "grades-occitanie", "contributeur"),
    ("analyste.agence@demo.convergence.test", AGENCY_CODE, "analyste"),
    ("administrateur.agence@demo.convergence.test", AGENCY_CODE, "administrateur"),
]


def demo_vendor() -> Organisation | None:
    """The vendor the demo accounts belong to: the one with the most products (a rich example)."""
    from django.db.models import Count

    return (
        Organisation.objects.filter(kind=OrganisationKind.VENDOR)
        .annotate(products=Count("subjects"))
        .order_by("-products", "code")
        .first()
    )


@transaction.atomic
def accounts_ensure(
    *, password: str | None, totp_secret: str | None = None
) -> list[tuple[str, Organisation, str]]:
    """Create or update one account per role, each with a verified primary e-mail address.

    With a password (demo mode) every account gets it; without, they get an unusable password,
    so that a known password never exists outside demo mode. Agency members and account
    managers must use two-factor authentication: with `totp_secret` their TOTP authenticator
    is set up with that (demo) secret, so the demo can be explored without enrolling a device.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    from convergence.organisations.enums import ACCOUNT_MANAGER_ROLES
    from convergence.organisations.models import Membership

    vendor = demo_vendor()
    organisations = {
        org.code: org for org in Organisation.objects.filter(code__in={c for _e, c, _r in DEMO_ACCOUNTS})
    }
    accounts = []
    for email, organisation_code, role in DEMO_ACCOUNTS:
        organisation = vendor if organisation_code == "vendor" else organisations.get(organisation_code)
        if organisation is None:
            continue
        first_name = role.capitalize()
        user, _created = User.objects.get_or_create(
            email=email,
            defaults={"username": email.split("@")[0], "first_name": first_name, "last_name": "Démo"},
        )
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        Membership.objects.update_or_create(user=user, organisation=organisation, defaults={"role": role})
        sensitive = organisation.kind == OrganisationKind.AGENCY or role in ACCOUNT_MANAGER_ROLES
        if totp_secret and sensitive and not Authenticator.objects.filter(user=user, type="totp").exists():
            TOTP.activate(user, totp_secret)
        accounts.append((email, organisation, role))
    return accounts


def _assessment_counts() -> list[tuple[str, str, int]]:
    from django.db.models import Count

    return list(
        Assessment.objects.values_list("campaign__code", "status")
        .annotate(number=Count("pk"))
        .order_by("campaign__code", "status")
    )
