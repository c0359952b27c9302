"""Any other path under the API: a JSON 404, never Django's HTML page."""

from django.urls import Resolver404, resolve
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from inbox.errors import NotFound


@extend_schema(exclude=True)
class ApiNotFound(APIView):
    """Anyone: 404 ``not_found`` (pointing at the slash when only that is missing)."""

    authentication_classes = []
    permission_classes = [AllowAny]
    throttle_classes = []

    def http_method_not_allowed(self, request, *args, **kwargs):
        raise NotFound(self._message(request))

    def _message(self, request) -> str:
        path = request.path
        if not path.endswith("/"):
            try:
                match = resolve(path + "/")
            except Resolver404:
                match = None
            if match is not None and match.url_name != "not-found":
                return f"No such endpoint; did you mean {path}/ ?"
        return "No such endpoint."

    get = post = put = patch = delete = head = options = http_method_not_allowed
