from django.http import HttpRequest, JsonResponse


def api_root(request: HttpRequest) -> JsonResponse:
    """The API root: names the service and links what is served so far."""
    base = request.build_absolute_uri("/")
    return JsonResponse(
        {
            "service": "payouts",
            "version": "v1",
            "links": {
                "health": f"{base}healthz",
                "admin": f"{base}admin/",
                "docs": f"{base}api/docs/",
            },
        }
    )
