"""Papers as the data of a prompt, the same way in every prompt we send Claude (the classifier,
the category reports, the TL;DRs): escaped, so that a title or an abstract cannot close our
tags or open new ones."""

import html
from collections.abc import Mapping

from common.text import plain_text


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def paper_element(paper, attributes: Mapping | None = None, more: Mapping | None = None):
    """The lines of one `<paper id="ref">` element (any object with ref, title and abstract):
    its title, the `more` elements, its abstract; `attributes` on the paper's tag."""
    tag = "".join(f' {name}="{escape(str(value))}"' for name, value in (attributes or {}).items())
    return [
        f'<paper id="{escape(paper.ref)}"{tag}>',
        f"<title>{escape(plain_text(paper.title))}</title>",
        *(f"<{name}>{escape(value)}</{name}>" for name, value in (more or {}).items()),
        f"<abstract>{escape(plain_text(paper.abstract)) or '(no abstract)'}</abstract>",
        "</paper>",
    ]
