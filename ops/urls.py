from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    path("console/dashboard/", views.dashboard, name="dashboard"),
    path("console/dashboard/<slug:chart>.csv", views.dashboard_csv, name="dashboard_csv"),
]
