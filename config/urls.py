from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path

from accounts.sso import oidc
from accounts.views import profile
from ops import health
from ops.api import AdminStatsApi
from ops.metrics import metrics

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics, name="metrics"),
    path("api/v1/admin/stats/", AdminStatsApi.as_view(), name="admin-stats"),
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("inbox.api.urls")),
    path("notifications/", include("notifications.urls")),
    path("littlehorse/", include("inbox.api.littlehorse.urls")),
    # allauth's own callback, with ID-token signature and nonce checks (accounts/sso/oidc.py).
    path("accounts/oidc/<str:provider_id>/login/callback/", oidc.callback),
    path("accounts/", include("allauth.urls")),
    path("profile/", profile, name="profile"),
    path("django-admin/", admin.site.urls),
    path("", include("ops.urls")),
    path("", include("inbox.urls")),
]

if not settings.LOCAL_PASSWORDS:
    # Single sign-on only: the admin's password form sends people to the SSO sign-in page.
    admin.site.login = login_required(admin.site.login)
