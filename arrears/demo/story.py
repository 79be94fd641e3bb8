"""Two years of work, invoices and payments, month by month, for each demo client."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from arrears.dunning.models import Dispute, DisputeReason, Promise
from arrears.ledger.models import Invoice, Organisation

from .people import CASH_CRUNCH, DISORGANISED, PROMPT, UTILITY, Behaviour

# clients whose latest overdue invoice is disputed or promised in the demo (see pauses())
PAUSED = {
    "Oakridge Schools",
    "Shannon Cloud Ltd",
    "Keystone Analytics",
    "Brouwer Fintech BV",
    "Evergreen Health",
}
HOURS = [Decimal("4"), Decimal("6"), Decimal("7.5"), Decimal("8"), Decimal("8")]
CENT = Decimal("0.01")


@dataclass
class Cast:
    cid: str
    name: str
    behaviour: Behaviour
    currency: str
    terms: int
    fx: Decimal
    team: list
    engagement: str
    contract_id: str
    retainer: Decimal = Decimal(0)


@dataclass
class Story:
    cast: list[Cast] = field(default_factory=list)
    lines: dict[str, list] = field(default_factory=dict)
    open_by_client: dict[str, list[str]] = field(default_factory=dict)

    def client(self, cid, name, behaviour, currency, terms, fx, team, engagement, contract_id):
        self.cast.append(
            Cast(cid, name, behaviour, currency, terms, fx, team, engagement, contract_id)
        )

    def run(self, rng: random.Random, start: date, today: date, rows: dict) -> None:
        seq = 1000
        for c in self.cast:
            c.retainer = (Decimal(rng.choice([4000, 6000, 8000, 12000])) * c.fx).quantize(
                Decimal(1)
            )
            bill_day = rng.choice([1, 1, 3, 5, 8, 10, 15, 20, 25])  # when this client is invoiced
            month = start
            pending: list[dict] = []  # time entries waiting for their invoice
            quarter = 0
            while month <= today:
                nxt = date(month.year + (month.month == 12), month.month % 12 + 1, 1)
                entries = self._work(rng, c, month, min(nxt - timedelta(days=1), today))
                pending += entries
                rows["time-entries"] += entries
                issue = _weekday(nxt.replace(day=bill_day))
                if issue > today:
                    break
                quarter += 1
                if c.engagement in ("fixed", "milestone") and quarter % 3:
                    month = nxt
                    continue
                seq += 1
                number = f"INV-{issue.year}-{seq:05d}"
                lines = self._lines(c, pending)
                total = sum((q * p for _, q, p in lines), Decimal(0)).quantize(CENT)
                if total <= 0:
                    month = nxt
                    continue
                self.lines[number] = lines
                for e in pending:
                    e["invoice_number"] = number
                pending = []
                due = issue + timedelta(days=c.terms)
                rows["invoices"].append(
                    {
                        "invoice_number": number,
                        "client_id": c.cid,
                        "contract_id": c.contract_id,
                        "issue_date": issue.isoformat(),
                        "due_date": due.isoformat(),
                        "currency": c.currency,
                        "amount": str(total),
                        "po_number": f"PO-{rng.randint(10000, 99999)}"
                        if rng.random() < 0.5
                        else "",
                        "approver_email": "",
                        "description": f"Engineering services, {month:%B %Y}",
                    }
                )
                self._pay(rng, c, number, issue, due, total, today, rows)
                month = nxt

    def _work(self, rng, c: Cast, first: date, last: date) -> list[dict]:
        out = []
        d = first
        while d <= last:
            if d.weekday() < 5:
                for name, bill, cost in c.team:
                    if rng.random() < 0.45:
                        out.append(
                            {
                                "date": d.isoformat(),
                                "client_id": c.cid,
                                "contract_id": c.contract_id,
                                "person": name,
                                "hours": str(rng.choice(HOURS)),
                                "bill_rate": str((Decimal(bill) * c.fx).quantize(Decimal(1))),
                                "cost_rate": str((Decimal(cost) * c.fx).quantize(Decimal(1))),
                                "description": rng.choice(
                                    [
                                        "Platform work",
                                        "CI/CD pipeline",
                                        "Incident follow-up",
                                        "Data migration",
                                        "Code review",
                                        "Infrastructure as code",
                                    ]
                                ),
                                "invoice_number": "",
                            }
                        )
            d += timedelta(days=1)
        return out

    def _lines(self, c: Cast, entries: list[dict]) -> list[tuple[str, Decimal, Decimal]]:
        if c.engagement == "retainer":
            return [("Monthly retainer", Decimal(1), c.retainer)]
        by_person: dict[tuple[str, str], Decimal] = {}
        for e in entries:
            key = (e["person"], e["bill_rate"])
            by_person[key] = by_person.get(key, Decimal(0)) + Decimal(e["hours"])
        lines = [
            (f"Engineering: {p}", h, Decimal(rate)) for (p, rate), h in sorted(by_person.items())
        ]
        if c.engagement in ("fixed", "milestone"):
            total = sum((h * r for _, h, r in lines), Decimal(0))
            fee = (total * Decimal("0.9") / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP) * 100
            return [("Milestone delivered", Decimal(1), fee)] if fee > 0 else []
        return lines

    def _pay(self, rng, c: Cast, number, issue, due, total, today, rows) -> None:
        b = c.behaviour
        months_ago = (today.year - issue.year) * 12 + today.month - issue.month
        if b is UTILITY and months_ago < (b.stops_months_ago or 0):
            self.open_by_client.setdefault(c.cid, []).append(number)
            return
        if c.name in PAUSED and today - timedelta(days=35) < due < today:
            # these clients will dispute or promise: their latest overdue invoice stays open
            self.open_by_client.setdefault(c.cid, []).append(number)
            return
        crunch = b is CASH_CRUNCH and months_ago < 9
        lo, hi = b.late_days if (b is not CASH_CRUNCH or crunch) else (10, 25)
        paid_on = due + timedelta(days=rng.randint(lo, hi))
        if paid_on.weekday() >= 5:
            paid_on += timedelta(days=7 - paid_on.weekday())
        if paid_on > today:
            self.open_by_client.setdefault(c.cid, []).append(number)
            return
        pid = f"P-{number[4:]}"
        method = "bank_transfer" if rng.random() < 0.85 else "card"
        if crunch:
            first = (total * Decimal(str(b.partial))).quantize(CENT)
            rows["payments"].append(_payment(pid + "-1", c, paid_on, first, number, method))
            rest_on = paid_on + timedelta(days=rng.randint(30, 60))
            if rest_on <= today:
                rows["payments"].append(
                    _payment(pid + "-2", c, rest_on, total - first, number, method)
                )
            else:
                self.open_by_client.setdefault(c.cid, []).append(number)
            return
        amount = total
        if b is PROMPT and rng.random() < 0.02:
            amount = total + Decimal(100)  # paid twice the round figure by mistake: credit
        if b is DISORGANISED and months_ago in (6, 7) and not rows["credit-notes"]:
            # a quality complaint settled with a credit note, the rest paid
            credit = (total / 10).quantize(CENT)
            rows["credit-notes"].append(
                {
                    "credit_note_number": f"CN-{number[4:]}",
                    "client_id": c.cid,
                    "date": (issue + timedelta(days=9)).isoformat(),
                    "amount": str(credit),
                    "currency": c.currency,
                    "reason": "Goodwill: late delivery of the sprint demo",
                    "invoice_number": number,
                }
            )
            rows["payments"].append(_payment(pid, c, paid_on, total - credit, number, method))
            return
        if b is DISORGANISED and rng.random() < 0.03:
            short = Decimal(15)  # bank charges deducted by the client's bank
            rows["payments"].append(_payment(pid, c, paid_on, total - short, number, method))
            rows["write-offs"].append(
                {
                    "invoice_number": number,
                    "date": (paid_on + timedelta(days=5)).isoformat(),
                    "amount": str(short),
                    "reason": "Bank charges deducted by the payer",
                }
            )
            return
        rows["payments"].append(_payment(pid, c, paid_on, amount, number, method))

    def pauses(self, organisation: Organisation, today: date) -> tuple[int, int]:
        """A few disputes and promises on invoices still open today."""
        by_name = {c.name: c for c in self.cast}
        open_inv = {
            inv.number: inv
            for inv in Invoice.objects.for_org(organisation).filter(
                status__in=("open", "partially_paid")
            )
        }

        def latest(name):
            """The client's most recent invoice that is open and already overdue."""
            numbers = [
                n
                for n in self.open_by_client.get(by_name[name].cid, [])
                if n in open_inv and open_inv[n].due_date < today
            ]
            return open_inv[numbers[-1]] if numbers else None

        disputes = [
            (
                "Oakridge Schools",
                DisputeReason.ADMINISTRATIVE,
                "Their AP says the invoice has no PO number.",
            ),
            ("Shannon Cloud Ltd", DisputeReason.QUALITY, "Say the data migration is not finished."),
            ("Granite Capital", DisputeReason.CASH_FLOW, "CFO asked for more time; cash is tight."),
        ]
        promises = [
            ("Keystone Analytics", 5, "Will pay on Friday's payment run."),
            ("Brouwer Fintech BV", -6, "Promised payment after their board meeting."),
            ("Evergreen Health", 10, "Finance confirmed it is scheduled."),
        ]
        nd = np = 0
        for name, reason, note in disputes:
            inv = latest(name)
            if inv is not None:
                Dispute.objects.create(
                    organisation=organisation,
                    invoice=inv,
                    reason=reason,
                    note=note,
                    opened_on=min(today, inv.due_date + timedelta(days=5)),
                )
                nd += 1
        for name, days, note in promises:
            inv = latest(name)
            if inv is not None and not inv.disputes.exists():
                Promise.objects.create(
                    organisation=organisation,
                    invoice=inv,
                    until=today + timedelta(days=days),
                    note=note,
                    made_on=today - timedelta(days=3),
                )
                np += 1
        return nd, np


def _payment(pid, c: Cast, on: date, amount: Decimal, number: str, method: str) -> dict:
    return {
        "payment_id": pid,
        "client_id": c.cid,
        "date": on.isoformat(),
        "amount": str(amount),
        "currency": c.currency,
        "reference": number,
        "method": method,
        "invoice_number": number,
    }


def _weekday(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d
