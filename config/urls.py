from django.contrib import admin
from django.urls import path

from config.health import healthz
from config.views import api_root
from payouts.views import sandbox_callback

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("v1/", api_root, name="api-root"),
    path("admin/", admin.site.urls),
    path("callbacks/sandbox", sandbox_callback, name="sandbox-callback"),
]
