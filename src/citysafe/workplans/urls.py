from django.urls import path

from . import views

app_name = "workplans"
urlpatterns = [
    path("plans/", views.plan_list, name="plan_list"),
    path("plans/<int:pk>/", views.plan_detail, name="plan_detail"),
    path("plans/<int:pk>/compare/", views.plan_compare, name="plan_compare"),
    path("plans/<int:pk>/matrix.xlsx", views.matrix_export, name="matrix_export"),
    path("plans/<int:pk>/progress.xlsx", views.progress_export, name="progress_export"),
    path("plans/<int:pk>/progress-import/", views.progress_import, name="progress_import"),
    path("targets/", views.target_list, name="target_list"),
    path("targets/<int:pk>/", views.target_detail, name="target_detail"),
    path("targets/<int:pk>/baseline/", views.target_baseline, name="target_baseline"),
    path("targets/<int:pk>/supervise/", views.supervision_create, name="supervision_create"),
    path("reports/<int:pk>/evidence/", views.report_evidence, name="report_evidence"),
    path("supervisions/", views.supervision_list, name="supervision_list"),
    path("supervisions/<int:pk>/", views.supervision_detail, name="supervision_detail"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/<int:org_id>/", views.unit_scorecard, name="unit_scorecard"),
]
