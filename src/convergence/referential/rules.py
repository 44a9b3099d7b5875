"""Who may read and change referential editions (see organisations.rules for the role
predicates).

Only the agency edits editions, loads workbooks, opens consultations and answers them
(`referential.change_referential`). During a consultation, members of vendors, ARS and GRADeS
read the draft and comment on it, acting for their organisation; a comment is changed by its
author only, until the agency has answered it (the service checks the answer).
"""

from __future__ import annotations

import rules

from convergence.organisations.rules import (
    is_agency_analyst,
    is_agency_member,
    is_declarant_member,
)


@rules.predicate
def referential_is_published(user, referential) -> bool:
    return referential is not None and referential.is_published


@rules.predicate
def is_under_consultation_for(user, referential) -> bool:
    """A draft whose consultation has opened, for a member of a vendor, ARS or GRADeS."""
    from django.utils import timezone

    from .selectors import is_consultation_participant

    return (
        referential is not None
        and is_consultation_participant(user)
        and referential.__class__.objects.filter(
            pk=referential.pk, consultation__opens_on__lte=timezone.localdate()
        ).exists()
    )


@rules.predicate
def is_comment_author(user, comment) -> bool:
    return comment is not None and user.is_authenticated and comment.author_id == user.pk


rules.add_perm(
    "referential.view_referential", referential_is_published | is_agency_member | is_under_consultation_for
)
rules.add_perm("referential.change_referential", is_agency_analyst)
# Object: the acting organisation (a vendor, ARS or GRADeS).
rules.add_perm("referential.comment_consultation", is_declarant_member)
# Object: the comment.
rules.add_perm("referential.change_consultation_comment", is_comment_author & is_declarant_member)
