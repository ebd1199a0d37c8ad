from django.apps import AppConfig


class PayoutsConfig(AppConfig):
    name = "payouts"

    def ready(self) -> None:
        from payouts import event_renderers

        event_renderers.register()
