"""An award is tied to the product's version and to its edition: a new version of the product, or
a newer edition published, flags it for review (the agency decides what follows)."""

from django.utils.translation import gettext as _

from convergence.referential.enums import ReferentialStatus


def subject_version_changing(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.pk is None:
        return
    previous = sender.objects.filter(pk=instance.pk).values_list("version", flat=True).first()
    if previous is not None and previous != instance.version:
        from .services import awards_flag_for_review

        awards_flag_for_review(
            subject=instance,
            reason=_("New product version: %(old)s → %(new)s")
            % {"old": previous or "—", "new": instance.version or "—"},
        )


def referential_published(sender, instance, raw=False, **kwargs) -> None:
    if raw or instance.status != ReferentialStatus.PUBLISHED or instance.published_on is None:
        return
    from .services import awards_flag_for_review

    awards_flag_for_review(
        referential=instance, reason=_("New edition published: %(code)s") % {"code": instance.code}
    )
