from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from config.health import healthz
from config.views import api_root
from payouts.views import sandbox_callback

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("v1/", api_root, name="api-root"),
    path("v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
    path("callbacks/sandbox", sandbox_callback, name="sandbox-callback"),
]

handler404 = "api.problems.not_found"
handler500 = "api.problems.server_error"
