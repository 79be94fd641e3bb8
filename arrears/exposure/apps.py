from django.apps import AppConfig


class ExposureConfig(AppConfig):
    name = "arrears.exposure"
    label = "exposure"
    verbose_name = "Exposure and escalation"

    def ready(self) -> None:
        from arrears.dunning.extensions import add_day_job, add_planner, add_runner

        from . import disputes

        # the modules that plan and deliver are imported when first used, not at start-up:
        # most commands never use them
        add_planner("exposure", _plan)
        add_day_job("exposure", _day)
        add_runner("escalation", _deliver)  # runner.EMAIL and runner.CHAT
        add_runner("escalation-chat", _nothing)  # `deliver` performs both kinds
        disputes.connect()


def _plan(org, on, snap):
    from .planning import plan

    return plan(org, on, snap)


def _day(org, on, plan):
    from .runner import day

    day(org, on, plan)


def _deliver(org, on, now):
    from .runner import deliver

    return deliver(org, on, now)


def _nothing(org, on, now):
    from .runner import nothing

    return nothing(org, on, now)
