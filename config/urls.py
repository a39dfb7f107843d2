from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.web.urls")),
]

handler400 = "apps.core.views.bad_request"
handler500 = "apps.core.views.server_error"
