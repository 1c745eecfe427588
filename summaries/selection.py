"""Which papers of a category are worth summarising, and the text clean-up that decides it.

The term helpers live here because selection ranks papers by their terms; the offline
summariser reuses them so that both agree on what a "term" is.
"""

import math
import re
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache

from common.text import plain_text
from summaries.report import SummaryInput

# Function words and academic boilerplate: they end a key phrase rather than belong to one.
STOPWORDS = frozenset(
    """
    a about above across after again against all almost along also although always among an
    and another any are around as at be because been before being below between both but by
    can cannot could did do does doing done down due during each either else enough especially
    even ever every few for from further furthermore had has have having here how however i if
    in into is it its itself just less many may might more moreover most much must neither no
    nor not of off often on once one only onto or other others otherwise our ours ourselves out
    over own per rather same several should since so some such than that the their theirs them
    themselves then there therefore these they this those though three through thus to too two
    under until up upon us very via was we well were what when where whereas whether which while
    who whose why will with within without would yet you your
    able achieve achieved achieves achieving additionally address addressed addresses addressing
    allow allowing allows apply applied argue available based build built call called capture
    captures challenging compared comparing conduct conducted consider consistently consists
    contain contains crucial demonstrate demonstrated demonstrates demonstrating design designed
    develop developed different effectively enable enables enabling enhance enhanced enhances
    enhancing ensure ensures evaluate evaluated exhibit exhibits existing explore explored
    extensive extensively find finds first focus focuses found generate generates generating
    given greatly help helps highlight highlights highly important improve improved improves
    improving include includes including increasing integrate integrates integrating introduce
    introduced introduces introducing key lack lead leads leverage leverages leveraging like
    limited lies make makes making need needs new novel numerous obtain offer offers outperform
    outperforming outperforms paper particular particularly perform performs present presented
    presents prior promising propose proposed proposes proposing provide provides providing
    publicly reach recent recently reduce reduces reducing rely relies relying remain remains
    require requires requiring results reveal reveals second seek serve show showed shown shows
    significant significantly simple simply specific specifically strong study studies
    substantially suggest superior take takes thereby third toward towards typically use used
    uses using various widely work works yield yields
    advance advances applying benefit benefits better employ employs identify leading learn
    potential preserving resulting struggle struggles support supports systematically
    """.split()  # noqa: SIM905 -- a word list reads better as text than as quoted strings
)


@lru_cache(maxsize=65536)
def term_key(word: str) -> str:
    """Case- and plural-insensitive key, so "LLMs" and "LLM" count as one term."""
    key = word.lower()
    if len(key) > 4 and key.endswith("ies"):
        return key[:-3] + "y"
    if key.endswith(("ches", "shes", "xes", "sses")):
        return key[:-2]
    if len(key) > 3 and key.endswith("s") and not key.endswith(("ss", "us", "is")):
        return key[:-1]
    return key


# Words too general to be a theme on their own, though fine inside one ("diffusion model").
GENERIC = frozenset(
    map(
        term_key,
        """
        ability accuracy accurate analysis application approach baseline benchmark
        capability case challenge code complex component comprehensive critical current data
        dataset deep diverse effective effectiveness efficiency efficient evaluation example
        experiment experimental fact finding framework future gain gap generalization high
        improvement information input insight issue large learning level limitation mechanism
        method metric model module multiple network neural output page performance problem
        process project quality real-world research result robust scenario setting solution
        state-of-the-art strategy system task technique term time tool training type way
        """.split(),  # noqa: SIM905
    )
)

_MATH = re.compile(r"\$[^$]*\$")
_PHRASE_BREAK = re.compile(r"[.,;:!?()\[\]{}\"“”‘’'/|=<>+*&%$#@~^]")


@lru_cache(maxsize=4096)  # selection and the summariser both ask for every paper's runs
def term_runs(text: str) -> tuple[tuple[str, ...], ...]:
    """Runs of consecutive content words (surface forms); stopwords, numbers and punctuation
    end a run. Math is dropped whole, since formulas are not terms."""
    runs: list[tuple[str, ...]] = []
    for chunk in _PHRASE_BREAK.split(plain_text(_MATH.sub(" . ", text))):
        run: list[str] = []
        for token in chunk.split():
            word = token.strip("-–—")
            # A lone dash, a number or a symbol has no cased letter: it ends the run too.
            if len(word) < 2 or word.lower() == word.upper() or word.lower() in STOPWORDS:
                if run:
                    runs.append(tuple(run))
                run = []
            else:
                run.append(word)
        if run:
            runs.append(tuple(run))
    return tuple(runs)


def content_terms(paper: SummaryInput) -> set[str]:
    """The paper's distinct non-generic single-word terms from title and abstract."""
    words = (w for text in (paper.title, paper.abstract) for run in term_runs(text) for w in run)
    return {key for key in map(term_key, words) if key not in GENERIC}


def select_featured(papers: Sequence[SummaryInput], limit: int = 10) -> list[SummaryInput]:
    """Upvoted papers first (most upvotes first), then by centrality, ties broken by ref.

    Centrality is the cosine between the paper's terms and the category's 50 most widespread
    ones: a paper about what most of its neighbours are about represents the category best, and
    the cosine keeps a long abstract from winning by length alone.
    """
    terms = {paper.ref: content_terms(paper) for paper in papers}
    frequency = Counter(term for paper_terms in terms.values() for term in paper_terms)
    common = set(sorted(frequency, key=lambda term: (-frequency[term], term))[:50])

    def rank(paper: SummaryInput) -> tuple:
        own = terms[paper.ref]
        centrality = len(own & common) / math.sqrt(len(own)) if own else 0.0
        return (-(paper.upvotes or 0), -centrality, paper.ref)

    return sorted(papers, key=rank)[:limit]
