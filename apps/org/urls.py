from django.urls import path

from . import views

urlpatterns = [
    path("", views.company_home, name="company"),
    path("settings/", views.company_settings, name="company-settings"),
    path("members/add/", views.member_add, name="member-add"),
    path("members/<int:membership_id>/", views.member_edit, name="member-edit"),
    path("members/<int:membership_id>/remove/", views.member_remove, name="member-remove"),
    path("departments/add/", views.department_add, name="department-add"),
    path(
        "departments/<int:department_id>/delete/",
        views.department_delete,
        name="department-delete",
    ),
]
