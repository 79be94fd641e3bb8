from importlib import import_module

from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "arrears.exposure"
    label = "exposure"
    verbose_name = "Exposure and escalation"

    def ready(self) -> None:
        from arrears.dunning.extensions import add_day_job, add_note, add_planner, add_runner

        from . import disputes

        # the modules that plan and deliver are imported when first used, not at start-up:
        # most commands never use them
        add_planner("exposure", _lazy("planning.plan"))
        add_day_job("exposure", _lazy("runner.day"))
        add_runner("escalation", _lazy("runner.deliver"))  # runner.EMAIL and runner.CHAT
        add_runner("escalation-chat", _lazy("runner.nothing"))  # `deliver` performs both kinds
        add_note("digest", _lazy("digest.note"))
        disputes.connect()


def _lazy(name: str):
    """The function `module.function` of this app, imported when first called."""
    module, _, function = name.partition(".")

    def call(*args):
        return getattr(import_module(f"arrears.exposure.{module}"), function)(*args)

    call.__name__ = function
    return call
