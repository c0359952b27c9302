"""The product's URLs plus bare "floor" views: the least a request can do on the same stack.

Used only by the benchmarks (``bench/claim_throughput.py``), never by the product.
"""

import os

from django.db import connection
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as product_urlpatterns
from inbox.api.views.common import ApiView

FLOOR_USER = int(os.environ.get("BENCH_FLOOR_USER", "0"))


@csrf_exempt
def floor_claim(request, task_id):
    """The one necessary statement of a claim, nothing else: no auth, no checks, no history."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE inbox_usertask SET status = 'ASSIGNED', assignee_id = %s, "
            "version = version + 1, updated_at = now() "
            "WHERE id = %s AND status = 'UNASSIGNED' RETURNING id, version",
            [FLOOR_USER, task_id],
        )
        row = cursor.fetchone()
    if row is None:
        return JsonResponse({"code": "assignment"}, status=409)
    return JsonResponse({"id": str(row[0]), "version": row[1]})


class TinyApi(ApiView):
    """The API stack alone (Bearer token, throttling, JSON), answering without any task work."""

    def post(self, request, task_id):
        from rest_framework.response import Response

        return Response({"id": str(task_id), "user": request.user.username})


urlpatterns = [
    path("bench/floor/claim/<uuid:task_id>/", floor_claim),
    path("bench/floor/api/<uuid:task_id>/", TinyApi.as_view()),
    *product_urlpatterns,
]
