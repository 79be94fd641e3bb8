from django.apps import AppConfig


class ChargesConfig(AppConfig):
    name = "arrears.charges"
    label = "charges"
    verbose_name = "Charges and rates"

    def ready(self) -> None:
        from arrears.dunning.extensions import add_timeline

        from . import history, hooks

        hooks.register()
        add_timeline("charges", history.events)
