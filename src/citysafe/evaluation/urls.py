from django.urls import path

from . import views_kpi

app_name = "evaluation"
urlpatterns = [
    path("", views_kpi.dashboard, name="dashboard"),
    path("kpis/export/", views_kpi.kpi_export, name="kpi_export"),
    path("kpis/districts/export/", views_kpi.district_export, name="kpi_district_export"),
]

# Scorecards and reports (another part of issue 7) add their URLs in urls_scorecard.py.
try:
    from .urls_scorecard import urlpatterns as _score
except ImportError:
    _score = []
urlpatterns += _score
