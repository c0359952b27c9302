from django.contrib import admin
from django.urls import include, path

from accounts.sso import oidc
from accounts.views import admin_login, profile, token_create, token_revoke
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
    path("profile/tokens/", token_create, name="profile_token_create"),
    path("profile/tokens/<int:token_id>/revoke/", token_revoke, name="profile_token_revoke"),
    path("django-admin/login/", admin_login),  # LOCAL_PASSWORDS=false: to the SSO sign-in
    path("django-admin/", admin.site.urls),
    path("", include("ops.urls")),
    path("", include("inbox.urls")),
]
