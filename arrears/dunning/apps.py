from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "arrears.dunning"
    label = "dunning"
    verbose_name = "Dunning"

    def ready(self) -> None:
        from arrears.dunning import extensions

        # every kind no other app performs is a message of the engine's
        extensions.add_performer("*", _message_performer)


def _message_performer(loop):
    from arrears.dunning.delivery import MessagePerformer

    return MessagePerformer(loop)
