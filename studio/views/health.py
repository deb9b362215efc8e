"""GET /healthz — database, Redis and worker, as JSON, for operators and monitoring."""

from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from studio.health import check_all


@never_cache
def healthz(request):
    report = check_all()
    return JsonResponse(report, status=200 if report["ok"] else 503)
