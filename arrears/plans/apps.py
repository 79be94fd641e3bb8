from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "arrears.plans"
    label = "plans"
    verbose_name = "Payment plans"

    def ready(self) -> None:
        from . import receivers

        receivers.register()
