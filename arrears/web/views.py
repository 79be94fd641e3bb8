from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Sum
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arrears import __version__
from arrears.dunning.models import Run
from arrears.exposure.models import ApprovalWait
from arrears.ledger.models import Client, Invoice, Membership
from arrears.ledger.reports import open_totals


@require_GET
def health(request):
    """For load balancers and uptime checks: 200 when the database answers, 503 when not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any database failure means unhealthy
        return JsonResponse(
            {"status": "error", "database": type(exc).__name__, "version": __version__}, status=503
        )
    return JsonResponse({"status": "ok", "database": connection.vendor, "version": __version__})


def _last_day(org):
    """The reminders of the last day a run finished: what its runs sent, failed and cancelled
    (a day has the daily job's run and any `arrears apply`), and what the last one left to
    retry."""
    last = Run.objects.for_org(org).filter(finished_at__isnull=False).first()
    if last is None:
        return None
    day = Run.objects.for_org(org).filter(on=last.on, finished_at__isnull=False)
    totals = day.aggregate(
        runs=Count("pk"), sent=Sum("sent"), failed=Sum("failed"), cancelled=Sum("cancelled")
    )
    return {"on": last.on, "finished_at": last.finished_at, "retrying": last.retrying, **totals}


WAITING_SHOWN = 20  # approvals listed on the home page; `arrears plan` lists them all


@login_required
def home(request):
    memberships = Membership.objects.filter(user=request.user).select_related("organisation")
    orgs = []
    for m in memberships:
        org = m.organisation
        orgs.append(
            {
                "organisation": org,
                "role": m.get_role_display(),
                "clients": Client.objects.for_org(org).count(),
                "invoices": Invoice.objects.for_org(org).count(),
                "open": open_totals(org),
                "runs": _last_day(org),
                "waiting": ApprovalWait.objects.for_org(org)
                .select_related("client")
                .order_by("since", "key")[:WAITING_SHOWN],
                "waiting_count": ApprovalWait.objects.for_org(org).count(),
            }
        )
    return render(request, "web/home.html", {"orgs": orgs})
