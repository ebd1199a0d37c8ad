from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from webhooks import endpoints, registry

        registry.event_types_register("webhook_endpoint.disabled")
        registry.renderer_register("webhook_endpoint", endpoints.endpoints_render)
