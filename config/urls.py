from django.contrib import admin
from django.urls import include, path

from accounts.views import profile

urlpatterns = [
    path("api/v1/", include("notifications.api_urls")),
    path("api/v1/", include("inbox.api.urls")),
    path("notifications/", include("notifications.urls")),
    path("littlehorse/", include("inbox.api.littlehorse.urls")),
    path("accounts/", include("allauth.urls")),
    path("profile/", profile, name="profile"),
    path("django-admin/", admin.site.urls),
    path("", include("inbox.urls")),
]
