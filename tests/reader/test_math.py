"""LaTeX in titles, abstracts and summaries rendered as MathML on the server, safely."""

import pytest
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from digest import pipeline
from papers.models import Paper
from reader import mathml
from tests.conftest import DEMO_DAY

# Every element the converter may write; anything else in its output would be a leak.
MATHML = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "mtext", "mspace", "msub",
    "msup", "msubsup", "mfrac", "msqrt", "mroot", "mover", "munder", "mtable", "mtr", "mtd",
    "mark",
}  # fmt: skip
REFERENCE = (
    r"$\tilde{\mathcal{O}}\left( \frac{1}{N\epsilon^2} \left( 1+\frac{f^2}{N}\right)\right)$"
)


def parse(html: str) -> etree._Element:
    return etree.fromstring(f"<root>{html}</root>")


def test_the_reference_reports_sample_complexity_renders_as_mathml():
    root = parse(mathml.render(f"최적의 샘플 복잡도 {REFERENCE}을 달성"))
    math = root.find("math")
    assert root.text == "최적의 샘플 복잡도 " and math.tail == "을 달성"
    accent = math.find("semantics/mrow/mover")
    assert accent.get("accent") == "true" and accent.findtext("mo") == "~"
    assert "".join(accent.itertext()).startswith("𝒪")  # \mathcal{O}, as Unicode script
    fractions = math.findall(".//mfrac")
    assert ["".join(f[0].itertext()) for f in fractions] == ["1", "f2"]  # numerators
    assert [mo.text for mo in math.iter("mo") if mo.get("fence")] == ["(", "(", ")", ")"]
    assert math.findtext("semantics/annotation") == REFERENCE.strip("$")


@pytest.mark.parametrize(
    ("tex", "expected"),
    [
        (r"$R^2$", "<msup><mi>R</mi><mn>2</mn></msup>"),
        (r"$W_{\text{king}}$", "<msub><mi>W</mi><mrow><mtext>king</mtext></mrow></msub>"),
        (r"$93.05\%$", "<mn>93.05</mn><mi>%</mi>"),
        (r"$77.3 \pm 9.4$", "<mn>77.3</mn><mo>±</mo><mn>9.4</mn>"),
        (r"$\textbf{STRICT}$", '<mtext class="bf">STRICT</mtext>'),
        (r"$\mathbb{R}^n$", "<msup><mrow><mi>ℝ</mi></mrow><mi>n</mi></msup>"),
        (r"$\sqrt[3]{x}$", "<mroot><mrow><mi>x</mi></mrow><mrow><mn>3</mn></mrow></mroot>"),
        (r"$\frac12$", "<mfrac><mn>1</mn><mn>2</mn></mfrac>"),
        (r"$\log M(i,j)$", "<mi>log</mi><mo>\u2061</mo><mi>M</mi>"),
        (r"$\Omega$", '<mi mathvariant="normal">Ω</mi>'),
        (r"$$x = 1$$", '<math display="block">'),
        (r"\(a<b\)", "<mi>a</mi><mo>&lt;</mo><mi>b</mi>"),
        # Found unhandled by the measurement in docs/math-and-markdown.md:
        (r"$\href{https://x.org}{here}$", "<mrow><mi>h</mi><mi>e</mi><mi>r</mi><mi>e</mi></mrow>"),
        (r"$\unicode{x2013}$", "<mi>–</mi>"),
        (r"$^\circledR$", "<mi>®</mi>"),
        (r"${\bf x} y$", "<mrow><mi>𝐱</mi></mrow><mi>y</mi>"),
    ],
)
def test_common_arxiv_notation(tex, expected):
    assert expected in mathml.render(tex)


@pytest.mark.parametrize(
    "text",
    [
        "It costs $5 and $10 a month.",  # currency, not math
        "a $ b",
        "price $ 5$",  # opening dollar followed by a space
        "50$ and 60$",
        r"unbalanced $a}$ brace",
        r"$\begin{unknownenv}x\end{unknownenv}$",
        r"$\unicode{x0}$",
        "no math at all",
    ],
)
def test_text_that_is_not_math_stays_text(text):
    html = mathml.render(text)
    assert "<math" not in html
    assert html == text.replace("<", "&lt;").replace(">", "&gt;")


def test_unknown_commands_show_their_source_rather_than_vanish():
    assert "<mtext>\\foo</mtext>" in mathml.render(r"$\foo{x}$")


@pytest.mark.parametrize(
    "payload",
    [
        "$<script>alert(1)</script>$",
        r"$\text{<img src=x onerror=alert(1)>}$",
        '$x" onmouseover="alert(1)$',
        r"$\mathrm{<b>}$ <script>x</script>",
    ],
)
def test_markup_inside_or_around_formulas_is_escaped(payload):
    root = parse(mathml.render(payload))
    assert {el.tag for el in root.iter()} - {"root"} <= MATHML
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrib)


TEX_PIECES = [
    *"$\\{}^_ &<>\"'ab1.()[]|~%",
    *(r"\frac", r"\left", r"\right", r"\text", r"\mathcal", r"\sqrt", r"\\", r"\tilde"),
    *(r"\begin{pmatrix}", r"\end{pmatrix}"),
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TEX_PIECES), max_size=40).map("".join))
def test_any_input_gives_well_formed_markup_from_the_allow_list(text):
    root = parse(mathml.render(text))
    assert {el.tag for el in root.iter()} - {"root"} <= MATHML
    assert all(name in {"display", "encoding", "class", "mathvariant", "accent", "accentunder",
                        "stretchy", "fence", "width", "linethickness", "columnalign"}
               for el in root.iter() for name in el.attrib)  # fmt: skip


@pytest.mark.django_db
def test_titles_and_abstracts_with_latex_render_as_math_on_the_pages(client, make_day):
    make_day(
        2,
        edit=lambda row: (
            row
            | {"title": "Sample complexity " + REFERENCE, "abstract": "We show " + REFERENCE + "."}
        ),
    )
    pipeline.build_digest(DEMO_DAY)
    day = client.get(reverse("day", args=[DEMO_DAY])).text
    assert day.count("<math") >= 2 and "<mi>𝒪</mi>" in day
    paper = Paper.objects.first()
    page = client.get(reverse("paper", args=[paper.arxiv_id])).text
    assert page.count('<math display="inline">') >= 2  # the title and the abstract
