"""French regions, from the national nomenclature JDV_J257 (code, name)."""

from django.utils.translation import get_language

REGIONS: dict[str, str] = {
    "01": "Guadeloupe",
    "02": "Martinique",
    "03": "Guyane",
    "04": "La Réunion",
    "06": "Mayotte",
    "11": "Île-de-France",
    "24": "Centre-Val de Loire",
    "27": "Bourgogne-Franche-Comté",
    "28": "Normandie",
    "32": "Hauts-de-France",
    "44": "Grand Est",
    "52": "Pays de la Loire",
    "53": "Bretagne",
    "75": "Nouvelle-Aquitaine",
    "76": "Occitanie",
    "84": "Auvergne-Rhône-Alpes",
    "93": "Provence-Alpes-Côte d'Azur",
    "94": "Corse",
}

# The regions whose usual English name differs from the French one (the others keep theirs).
REGIONS_EN: dict[str, str] = {
    "03": "French Guiana",
    "04": "Réunion",
    "28": "Normandy",
    "53": "Brittany",
    "76": "Occitania",
    "94": "Corsica",
}

# The nomenclature's (French) names: stored in model field choices, so they do not vary with
# the language (pages that show names to readers use region_label / region_choices).
REGION_CHOICES = [(code, f"{code} {name}") for code, name in REGIONS.items()]


def region_name(code: str | None) -> str:
    """The nomenclature's (French) name; "" for no or an unknown region."""
    return REGIONS.get(code or "", "")


def region_label(code: str | None) -> str:
    """The region's name in the active language: English when asked for, else French."""
    if code and (get_language() or "fr").startswith("en") and code in REGIONS_EN:
        return REGIONS_EN[code]
    return region_name(code)


def region_labels() -> dict[str, str]:
    """Code -> name in the active language, for every region."""
    return {code: region_label(code) for code in REGIONS}


def region_choices() -> list[tuple[str, str]]:
    """Form choices "code name", names in the active language (call it when building the form)."""
    return [(code, f"{code} {name}") for code, name in region_labels().items()]
