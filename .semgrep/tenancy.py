from django.shortcuts import get_object_or_404

from engagements.access import get_scoped_or_404, scoped
from engagements.models import CDMO, Membership, Project, Request


def view(request, pk):
    # ruleid: unscoped-tenant-get
    Project.objects.get(pk=pk)
    # ruleid: unscoped-tenant-get
    Request.objects.select_related("project").get(pk=pk)
    # ruleid: unscoped-tenant-get
    Request.objects.select_for_update().filter(pk=pk).get()
    # ruleid: unscoped-tenant-get
    get_object_or_404(CDMO, pk=pk)
    # ruleid: unscoped-tenant-get
    get_object_or_404(CDMO.objects.select_related("sponsor"), pk=pk)
    # ruleid: unscoped-tenant-get
    CDMO._base_manager.get(pk=pk)
    # ok: unscoped-tenant-get
    Project.objects.filter(sponsor=request.sponsor).get(pk=pk)
    # ok: unscoped-tenant-get
    Project.objects.select_related("cdmo").filter(sponsor_id=request.sponsor.pk).get(pk=pk)
    # ok: unscoped-tenant-get
    get_scoped_or_404(request, Project, pk=pk)
    # ok: unscoped-tenant-get
    scoped(request, Project).get(pk=pk)
    # ok: unscoped-tenant-get
    Membership.objects.get(user=request.user, sponsor=request.sponsor)
