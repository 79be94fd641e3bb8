from importlib import import_module

from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "arrears.exposure"
    label = "exposure"
    verbose_name = "Exposure and escalation"

    def ready(self) -> None:
        from arrears.dunning.extensions import add_day_job, add_note, add_performer, add_planner

        from . import disputes

        # the modules that plan and deliver are imported when first used, not at start-up:
        # most commands never use them
        add_planner("exposure", _lazy("planning.plan"))
        add_day_job("exposure", _lazy("runner.day"))
        performer = _lazy("runner.performer")  # one for both kinds: they share a connection
        add_performer("escalation", performer)
        add_performer("escalation-chat", performer)
        add_note("digest", _lazy("digest.note"))
        disputes.connect()


def _lazy(name: str):
    """The function `module.function` of this app, imported when first called."""
    module, _, function = name.partition(".")

    def call(*args):
        return getattr(import_module(f"arrears.exposure.{module}"), function)(*args)

    call.__name__ = function
    return call
