"""Subject, plain text and HTML of a message, from one template per step and language.

A step's template (`templates/<lang>/<step>.txt`) fills blocks: `subject`, `body`; the layouts
around it (`_layout.txt`, `_layout.html`) place them and list the invoices; the subject is the
`subject` block on its own. Its `label` block (placed by no layout) is what the step is called
when an earlier message announces it ("a formal late notice"): `label(template, language)`.
The same template is rendered twice, without escaping for the text part and with escaping for
the HTML part. Languages without their own template fall back to English.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.template import Context, Engine
from django.template.base import NodeList
from django.template.exceptions import TemplateDoesNotExist
from django.template.loader_tags import BlockNode

TEMPLATES = Path(__file__).parent / "templates"
LANGUAGES = ("en", "de", "fr")


@cache
def _engine(html: bool) -> Engine:
    return Engine(
        dirs=[str(TEMPLATES)],
        autoescape=html,
        libraries={},
        builtins=["django.template.defaulttags", "django.template.defaultfilters"],
    )


def language_of(tag: str) -> str:
    base = (tag or "en").replace("-", "_").split("_")[0].lower()
    return base if base in LANGUAGES else "en"


def known_templates() -> frozenset[str]:
    """Template names a policy may use: every client-facing one in English, every internal one."""
    names = {p.stem for p in (TEMPLATES / "en").glob("*.txt") if not p.name.startswith("_")}
    names |= {p.stem for p in (TEMPLATES / "internal").glob("*.txt") if not p.name.startswith("_")}
    return frozenset(names)


def render(
    template: str, context: dict, *, language: str = "en", internal: bool = False
) -> tuple[str, str, str]:
    """(subject, text, html)."""
    folder = "internal" if internal else language_of(language)
    name = f"{folder}/{template}.txt"
    try:
        _engine(False).get_template(name)
    except TemplateDoesNotExist:
        folder = "internal" if internal else "en"
        name = f"{folder}/{template}.txt"
    parts = []
    for layout, html in (("_layout.txt", False), ("_layout.html", True)):
        ctx = {**context, "layout": f"{folder}/{layout}"}
        parts.append(_engine(html).get_template(name).render(Context(ctx, autoescape=html)))
    subject = " ".join(_subject(name).render(Context(context, autoescape=False)).split())
    return subject, _tidy(parts[0]), parts[1]


@cache
def label(template: str, language: str = "en") -> str:
    """The `label` block of a step's template in `language` (else English): the step's name in
    "the next step is … on …"; "" when the template has none."""
    for folder in dict.fromkeys((language_of(language), "en")):
        try:
            found = _engine(False).get_template(f"{folder}/{template}.txt")
        except TemplateDoesNotExist:
            continue
        for node in found.nodelist.get_nodes_by_type(BlockNode):
            if node.name == "label":
                return " ".join(node.nodelist.render(Context({}, autoescape=False)).split())
        return ""
    return ""


@cache
def _subject(name: str) -> NodeList:
    """The `subject` block of a step template, rendered on its own: the subject layout only
    places that block, and going through `extends` for it cost a third of the rendering."""
    for node in _engine(False).get_template(name).nodelist.get_nodes_by_type(BlockNode):
        if node.name == "subject":
            return node.nodelist
    return NodeList()


def _tidy(text: str) -> str:
    """No runs of blank lines, no trailing spaces: templates are indented for people."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out) + "\n"
