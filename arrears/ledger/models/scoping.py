"""Every ledger row belongs to one organisation; every query names it."""

from django.db import models


class OrgQuerySet(models.QuerySet):
    def for_org(self, organisation):
        return self.filter(organisation=organisation)


class OrgModel(models.Model):
    organisation = models.ForeignKey(
        "ledger.Organisation", on_delete=models.CASCADE, related_name="+"
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True
