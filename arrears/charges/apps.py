from django.apps import AppConfig


class ChargesConfig(AppConfig):
    name = "arrears.charges"
    label = "charges"
    verbose_name = "Charges and rates"

    def ready(self) -> None:
        from . import hooks

        hooks.register()
