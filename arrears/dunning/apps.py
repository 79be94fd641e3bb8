from django.apps import AppConfig


class DunningConfig(AppConfig):
    name = "arrears.dunning"
    label = "dunning"
    verbose_name = "Dunning"

    def ready(self) -> None:
        from arrears.dunning import extensions
        from arrears.ledger import guards

        # every kind no other app performs is a message of the engine's
        extensions.add_performer("*", _message_performer)
        # the ledger's importers check the policy a client or contract names against these
        guards.add_policy_names("dunning", SavedPolicies())


def _message_performer(loop):
    from arrears.dunning.delivery import MessagePerformer

    return MessagePerformer(loop)


class SavedPolicies:
    def names(self, org) -> set[str]:
        from arrears.dunning.policy_store import current_texts

        return set(current_texts(org))
