"""The cast of the demo: clients, where they are, and how they pay."""

from __future__ import annotations

from dataclasses import dataclass

# country, time zone, currency, language
PLACES = {
    "GB": ("Europe/London", "GBP", "en"),
    "GB-ENG": ("Europe/London", "GBP", "en"),
    "GB-SCT": ("Europe/London", "GBP", "en"),
    "US-NY": ("America/New_York", "USD", "en"),
    "US-CA": ("America/Los_Angeles", "USD", "en"),
    "US": ("America/Chicago", "USD", "en"),
    "DE": ("Europe/Berlin", "EUR", "de"),
    "DE-BY": ("Europe/Berlin", "EUR", "de"),
    "FR": ("Europe/Paris", "EUR", "fr"),
    "NL": ("Europe/Amsterdam", "EUR", "en"),
    "IE": ("Europe/Dublin", "EUR", "en"),
    "ES": ("Europe/Madrid", "EUR", "en"),
}


@dataclass(frozen=True)
class Behaviour:
    """How a client pays: days after the due date (a range), the share paid at first."""

    name: str
    late_days: tuple[int, int]
    partial: float = 1.0
    stops_months_ago: int | None = None  # stops paying altogether this many months ago


PROMPT = Behaviour("prompt", (-6, 2))
DISORGANISED = Behaviour("disorganised", (3, 12))  # pays once nudged
SLOW = Behaviour("slow", (14, 35))
CASH_CRUNCH = Behaviour("cash-crunch", (30, 75), partial=0.6)
UTILITY = Behaviour("utility", (5, 20), stops_months_ago=5)

# name, country, behaviour, engagement, sector
CLIENTS = [
    ("Acme Logistics", "GB-ENG", PROMPT, "tm", "logistics"),
    ("Brightwave Media", "GB", DISORGANISED, "retainer", "media"),
    ("Caledonia Energy", "GB-SCT", PROMPT, "tm", "energy"),
    ("Dovetail Retail", "GB", SLOW, "milestone", "retail"),
    ("Evergreen Health", "GB-ENG", DISORGANISED, "tm", "health"),
    ("Foxglove Insurance", "GB", PROMPT, "retainer", "insurance"),
    ("Granite Capital", "GB", CASH_CRUNCH, "tm", "fintech"),
    ("Harbour Freight", "GB-ENG", PROMPT, "fixed", "logistics"),
    ("Ironbridge Software", "GB", UTILITY, "retainer", "software"),
    ("Juniper Labs", "US-NY", PROMPT, "tm", "biotech"),
    ("Keystone Analytics", "US-NY", DISORGANISED, "tm", "analytics"),
    ("Lighthouse Robotics", "US-CA", PROMPT, "milestone", "robotics"),
    ("Meridian Travel", "US", SLOW, "retainer", "travel"),
    ("Northstar Payments", "US-CA", PROMPT, "tm", "payments"),
    ("Oakridge Schools", "US", DISORGANISED, "fixed", "education"),
    ("Pioneer Games", "US-CA", PROMPT, "tm", "games"),
    ("Quantum Foods", "US-NY", PROMPT, "retainer", "food"),
    ("Rheinland Maschinenbau GmbH", "DE", PROMPT, "tm", "manufacturing"),
    ("Schwarzwald Reisen GmbH", "DE-BY", DISORGANISED, "retainer", "travel"),
    ("Tannenbaum Logistik AG", "DE", PROMPT, "milestone", "logistics"),
    ("Ulmer Versicherung AG", "DE-BY", SLOW, "tm", "insurance"),
    ("Vogel Medien GmbH", "DE", PROMPT, "tm", "media"),
    ("Wendel Energie GmbH", "DE", DISORGANISED, "fixed", "energy"),
    ("Atelier Lumière SAS", "FR", PROMPT, "tm", "design"),
    ("Boulangerie Numérique SARL", "FR", DISORGANISED, "retainer", "retail"),
    ("Compagnie des Données SA", "FR", PROMPT, "tm", "analytics"),
    ("Domaine Solaire SAS", "FR", SLOW, "milestone", "energy"),
    ("Éditions Horizon SA", "FR", PROMPT, "retainer", "publishing"),
    ("Amstel Mobility BV", "NL", PROMPT, "tm", "mobility"),
    ("Brouwer Fintech BV", "NL", DISORGANISED, "tm", "fintech"),
    ("Delta Waterbouw BV", "NL", PROMPT, "fixed", "engineering"),
    ("Tulip Commerce BV", "NL", PROMPT, "retainer", "retail"),
    ("Liffey Analytics Ltd", "IE", PROMPT, "tm", "analytics"),
    ("Shannon Cloud Ltd", "IE", DISORGANISED, "tm", "software"),
    ("Galway Bay Foods Ltd", "IE", PROMPT, "retainer", "food"),
    ("Barcelona Digital SL", "ES", PROMPT, "tm", "media"),
    ("Meseta Agro SL", "ES", SLOW, "milestone", "agriculture"),
    ("Sevilla Turismo SL", "ES", PROMPT, "retainer", "travel"),
    ("Lindqvist & Partners Ltd", "GB", PROMPT, "tm", "legal"),
    ("Nimbus Hosting Ltd", "GB-ENG", DISORGANISED, "retainer", "hosting"),
]

FIRST = [
    "Alice",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farah",
    "Gustav",
    "Hana",
    "Ivo",
    "Jonas",
    "Keira",
    "Luca",
    "Maya",
    "Noor",
    "Oscar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tomás",
]
LAST = [
    "Adams",
    "Berger",
    "Costa",
    "Dubois",
    "Evans",
    "Fischer",
    "García",
    "Hughes",
    "Ivanova",
    "Jansen",
    "Kelly",
    "Lambert",
    "Moreau",
    "Novak",
    "O'Brien",
    "Petit",
    "Quist",
    "Rossi",
]

# The organisation's own people: sales owners, delivery leads, engineers (some contractors).
SALES = ["sam.sales@northwind.example", "rita.sales@northwind.example"]
DELIVERY = [
    "dev.lead@northwind.example",
    "ops.lead@northwind.example",
    "data.lead@northwind.example",
]
ENGINEERS = [
    ("Ada Lovelace", 95, 55),
    ("Grace Hopper", 110, 70),
    ("Linus Torvalds", 120, 85),
    ("Margaret Hamilton", 105, 60),
    ("Ken Thompson", 100, 80),
    ("Barbara Liskov", 115, 65),
    ("Dennis Ritchie", 90, 75),
    ("Frances Allen", 98, 58),
]  # name, bill rate per hour (GBP-equivalent), cost rate
