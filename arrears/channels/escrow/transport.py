"""`escrow`: a credential the client's systems need (a deploy key, a CI token), kept in
arrears encrypted at rest. On entering a level it is withheld: the `withhold` command runs
(for example, it deletes the token from the client's CI) and the secret stays in escrow. On
restore, the `restore` command puts it back: it gets the secret on its standard input only
(not on its command line, which every user of the machine can read, nor in its environment,
which child processes inherit), and the secret is blanked out of the logged output."""

from __future__ import annotations

from arrears.channels.base import TransportError
from arrears.channels.command.transport import run_program
from arrears.channels.escrow.crypto import unseal
from arrears.channels.hooks import Call, HookKind, Outcome, argv_of, positive_int, unknown_settings


class EscrowTransport(HookKind):
    kind = "escrow"
    default_events = ("enter:suspended", "restore:suspended")

    def check(self, raw: dict) -> tuple[dict, list[str]]:
        problems: list[str] = []
        unknown_settings(raw, {"secret", "withhold", "restore", "timeout"}, problems)
        name = raw.get("secret") or ""
        if not isinstance(name, str) or not name:
            problems.append("secret: the name of the escrowed secret is required (--secret-name)")
        withhold = argv_of(raw, "withhold", problems)
        restore = argv_of(raw, "restore", problems)
        timeout = positive_int(raw, "timeout", 60, 3600, problems)
        return {
            "secret": name,
            "withhold": withhold,
            "restore": restore,
            "timeout": timeout,
        }, problems

    def run(self, settings: dict, call: Call) -> Outcome:
        """`call.sealed` is the escrowed secret (sealed), looked up by the levers app."""
        if not call.sealed:
            raise TransportError(
                f"no escrowed secret {settings['secret']!r} for {call.client_id} "
                f"(arrears escrow put {call.client_id} {settings['secret']} --from-file F)",
                permanent=True,
            )
        env = call.environment()
        env["ARREARS_ESCROW_NAME"] = settings["secret"]
        if call.event.startswith("enter:"):
            return run_program(
                settings["withhold"], env, settings["timeout"], keepalive=call.keepalive
            )
        # the secret goes to the program on stdin and is blanked from what it printed
        return run_program(
            settings["restore"],
            env,
            settings["timeout"],
            secret=unseal(call.sealed),
            keepalive=call.keepalive,
        )

    def describe(self, settings: dict) -> str:
        return (
            f"secret {settings['secret']}: withhold `{' '.join(settings['withhold'])}`, "
            f"restore `{' '.join(settings['restore'])}`"
        )
