from django.urls import path

from . import views

app_name = "records"
urlpatterns = [
    path("", views.record_list, name="record_list"),
    path("new/", views.record_form, name="record_create"),
    path("<int:pk>/", views.record_detail, name="record_detail"),
    path("<int:pk>/edit/", views.record_form, name="record_edit"),
    path("import/", views.record_import, name="record_import"),
    path("import/template.xlsx", views.record_template, name="record_template"),
    path("disasters/", views.event_list, name="event_list"),
    path("disasters/<int:pk>/", views.event_detail, name="event_detail"),
    path("disasters/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("disasters/<int:pk>/withdraw/", views.event_withdraw, name="event_withdraw"),
    path("disasters/<int:pk>/import/", views.event_import, name="event_import"),
    path("disasters/template.xlsx", views.disaster_template, name="disaster_template"),
    path("disasters/statistics/", views.disaster_statistics, name="disaster_statistics"),
    path("figures/", views.figure_list, name="figure_list"),
    path("discrepancies/", views.discrepancy_list, name="discrepancy_list"),
    path("discrepancies/<int:pk>/resolve/", views.discrepancy_resolve, name="discrepancy_resolve"),
]
