from django.apps import AppConfig


class LeversConfig(AppConfig):
    name = "arrears.levers"
    label = "levers"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from arrears.dunning import extensions
        from arrears.dunning.signals import step_performed
        from arrears.ledger import guards
        from arrears.ledger.signals import settled

        from . import context, history, receivers, runner
        from .guard import LevelGuard

        step_performed.connect(receivers.on_step_performed, dispatch_uid="levers.step")
        settled.connect(receivers.on_settled, dispatch_uid="levers.settled")
        extensions.add_performer("hook", runner.hooks)
        extensions.add_performer("level-notice", runner.notices)
        guards.add_time_entry_guard("service-level", LevelGuard())
        extensions.add_context(context.maintenance_services)
        extensions.add_timeline("levers", history.events)
