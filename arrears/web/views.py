from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from arrears import __version__
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
            }
        )
    return render(request, "web/home.html", {"orgs": orgs})
