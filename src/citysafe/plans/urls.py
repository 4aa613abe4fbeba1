from django.urls import path

from . import views

app_name = "plans"
urlpatterns = [
    path("", views.plan_list, name="plan_list"),
    path("new/", views.plan_create, name="plan_create"),
    path("<int:pk>/", views.plan_detail, name="plan_detail"),
    path("<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("<int:pk>/cards/", views.plan_cards, name="plan_cards"),
    path("<int:pk>/cards.<str:fmt>", views.plan_cards_download, name="plan_cards_download"),
    path("<int:pk>/document/", views.plan_document, name="plan_document"),
    path("<int:pk>/levels/new/", views.level_edit, name="level_create"),
    path("<int:pk>/levels/<int:level>/", views.level_edit, name="level_edit"),
    path("<int:pk>/levels/<int:level>/delete/", views.level_delete, name="level_delete"),
    path("<int:pk>/cards/new/", views.card_edit, name="card_create"),
    path("<int:pk>/cards/<int:card_id>/edit/", views.card_edit, name="card_edit"),
    path("<int:pk>/cards/<int:card_id>/delete/", views.card_delete, name="card_delete"),
    path("<int:pk>/revisions/<int:revision_id>/close/", views.revision_close, name="revision_close"),
    path("<int:pk>/drills/new/", views.drill_create, name="drill_create"),
    path("for-incident/<int:incident_id>/", views.for_incident, name="for_incident"),
    path("drills/", views.drill_list, name="drill_list"),
    path("drills/<int:pk>/", views.drill_detail, name="drill_detail"),
    path("drills/<int:pk>/hold/", views.drill_hold, name="drill_hold"),
    path("drills/<int:pk>/cancel/", views.drill_cancel, name="drill_cancel"),
]
