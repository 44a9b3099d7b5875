"""Who may do what in referencing (to add to the table of `organisations.rules`):

=====================================  ===============  =============================================
permission                             object           who
=====================================  ===============  =============================================
referencing.view_programme             Programme        anyone logged in when published; agency
                                                        members otherwise
referencing.manage_programme           Organisation     agency analysts and administrators, acting for
                                                        the agency (pass the acting organisation)
referencing.apply                      Subject          account managers of the subject's organisation
                                                        (vendor, ARS, GRADeS; not the agency)
referencing.view_dossier               Dossier          members of its organisation; agency members
referencing.change_dossier             Dossier          account managers of its organisation (answers,
                                                        explanations, charter, submission, complements)
referencing.instruct_dossier           Organisation     agency analysts and administrators, acting for
                                                        the agency (référent, findings, complements
                                                        requested, commission meetings, awards, audits)
referencing.record_opinion             CommissionMeeting  the meeting's members, acting for the agency
                                                        (checked with ActingOn(organisation, meeting))
referencing.report_nonconformity       Award            anyone logged in
=====================================  ===============  =============================================
"""

import rules

from convergence.organisations.rules import (
    ActingOn,
    acts_as_agency_analyst,
    acts_for_agency,
    is_agency_member,
    is_declarant_member,
    is_member,
    manages_accounts,
)

from .enums import ProgrammeStatus


@rules.predicate
def is_published_programme(user, programme) -> bool:
    return programme is not None and programme.status != ProgrammeStatus.DRAFT


@rules.predicate
def sits_on_the_commission(user, obj) -> bool:
    meeting = obj.target if isinstance(obj, ActingOn) else obj
    return meeting is not None and user.is_authenticated and meeting.members.filter(pk=user.pk).exists()


rules.add_perm(
    "referencing.view_programme", rules.is_authenticated & (is_published_programme | is_agency_member)
)
rules.add_perm("referencing.manage_programme", acts_as_agency_analyst)
rules.add_perm("referencing.apply", is_declarant_member & manages_accounts)
rules.add_perm("referencing.view_dossier", is_member | is_agency_member)
rules.add_perm("referencing.change_dossier", is_declarant_member & manages_accounts)
rules.add_perm("referencing.instruct_dossier", acts_as_agency_analyst)
rules.add_perm("referencing.record_opinion", acts_for_agency & sits_on_the_commission)
rules.add_perm("referencing.report_nonconformity", rules.is_authenticated)
