"""`render_pdf(template, context) -> bytes`: a letter from `templates/<template>.html`.

Templates extend `_letter.html` (A4, letterhead with the organisation, the recipient's address
block in the window position, the date, a reference line, then the body). WeasyPrint is
imported on first use: it loads Pango through cffi, which costs a few hundred milliseconds
that commands which never print a letter should not pay.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.template import Context, Engine
from django.template.exceptions import TemplateDoesNotExist

TEMPLATES = Path(__file__).parent / "templates"
# the layout's own words, per language
LABELS = {
    "en": {"date": "Date", "reference": "Our reference", "client": "Client", "page": "Page",
           "of": "of"},
    "de": {"date": "Datum", "reference": "Unser Zeichen", "client": "Kunde", "page": "Seite",
           "of": "von"},
    "fr": {"date": "Date", "reference": "Notre référence", "client": "Client", "page": "Page",
           "of": "sur"},
}  # fmt: skip


@cache
def _engine() -> Engine:
    return Engine(
        dirs=[str(TEMPLATES)],
        autoescape=True,
        libraries={},
        builtins=["django.template.defaulttags", "django.template.defaultfilters"],
    )


def render_html(template: str, context: dict, *, language: str = "en") -> str:
    """`templates/<language>/<template>.html`, else the English `templates/<template>.html`;
    the layout's own words (date, reference, page) in `language` when it has them, so a letter
    whose words are the message's own (`message.html`) is German from top to bottom."""
    engine = _engine()
    try:
        found = engine.get_template(f"{language}/{template}.html")
    except TemplateDoesNotExist:
        found = engine.get_template(f"{template}.html")
        language = language if language in LABELS else "en"
    ctx = {"lang": language, "labels": LABELS.get(language, LABELS["en"]), **context}
    return found.render(Context(ctx, autoescape=True))


def render_pdf(template: str, context: dict, *, language: str = "en") -> bytes:
    from weasyprint import HTML

    html = render_html(template, context, language=language)
    return HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
