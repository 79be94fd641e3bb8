from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "arrears.exposure"
    label = "exposure"
    verbose_name = "Exposure and escalation"

    def ready(self) -> None:
        from arrears.dunning.extensions import add_day_job, add_planner, add_runner

        from . import disputes, planning, runner

        add_planner("exposure", planning.plan)
        add_day_job("exposure", runner.day)
        add_runner(runner.EMAIL, runner.deliver)
        add_runner(runner.CHAT, runner.nothing)  # `run` performs both kinds
        disputes.connect()
