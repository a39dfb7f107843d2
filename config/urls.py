from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    # browsers ask for /favicon.ico on pages that name no icon (the admin, viewflow's pages)
    path("favicon.ico", RedirectView.as_view(url=static("core/favicon.svg"), permanent=True)),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.web.urls")),
]

handler400 = "apps.core.views.bad_request"
handler500 = "apps.core.views.server_error"
