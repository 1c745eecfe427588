"""Offline summariser: fills the five-part report by extraction when no LLM is available.

Everything it says is counted or quoted from the titles and abstracts; quoted English stays
English inside the Korean templates rather than pretending to be a translation.

One module: each of the five parts is extracted by a short function over the same counted
terms, and the parts only make sense read together.
"""

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cached_property

from common.text import plain_text
from summaries.report import SECTION_TITLES, Finding, Report, SummaryInput
from summaries.selection import GENERIC, select_featured, term_key, term_runs

_MAX_ITEMS = 5  # themes, keywords, impact lines and open problems, as in the reference report
_MAX_PHRASE_WORDS = 4
# A theme must be this many times more common in the category than in the rest of the day.
MIN_LIFT = 1.5
# Phrases every AI paper may use, whatever its field: never a theme (tests/summaries pins them).
THEME_STOP = frozenset(
    tuple(map(term_key, phrase.split()))
    for phrase in """
    ai; artificial intelligence; generative ai; ml; machine learning; deep learning;
    neural network; neural networks; deep neural network; large model; large models;
    language model; language models; large language model; large language models; llm; llms;
    foundation model; foundation models; state-of-the-art; state of the art; real world;
    real-world applications; wide range; critical role; crucial role; key challenge;
    recent advances; recent years; downstream tasks; extensive experiments;
    experimental results; computational cost; computational costs; promising results;
    superior performance; significant improvements; substantial improvements;
    computationally intensive; natural language
    """.replace("\n", " ").split(";")
)

_TEXT = {
    "ko": {
        "count": "{n}편",
        "count_one": "1편",
        "keywords": "자주 쓰인 키워드: {terms}",
        "pattern": "{label}: {total}편 중 {n}편 ({share:.0%})",
        "code": "코드·데이터·모델 공개를 밝힌 논문",
        "benchmark": "새 벤치마크·데이터셋을 제안한 논문",
        "sota": "기존 방법 대비 우위(outperform, state-of-the-art)를 주장한 논문",
        "efficiency": "속도·메모리·연산 비용 절감을 내세운 논문",
        "training_free": "추가 학습이 필요 없는(training-free, zero-shot) 방법을 쓴 논문",
        "no_themes": "이 분야 논문 {n}편에서 공통된 핵심 구절을 찾지 못했습니다.",
        "no_results": "요약한 {n}편의 초록에는 성과를 수치나 비교로 밝힌 문장이 없습니다.",
        "scope": "이 분야의 논문 {total}편 중 {n}편을 골라 요약했습니다"
        " (추천 수가 많은 순, 이어서 분야의 주요 용어를 많이 다룬 순).",
        "upvoted": "가장 많은 추천을 받은 논문: {title} ({n}표) [{ref}]",
        "problem": "향후 과제·전망 — {name}: {sentence} [{ref}]",
        "note": "이 요약은 LLM 없이 논문 초록에서 자동 추출한 것입니다. 핵심 주제는 이 분야"
        " 논문에서 그날의 다른 분야보다 두드러지게 자주 쓰인 구절입니다.",
    },
    "en": {
        "count": "{n} papers",
        "count_one": "1 paper",
        "keywords": "Frequent keywords: {terms}",
        "pattern": "{label}: {n} of {total} papers ({share:.0%})",
        "code": "Papers that release code, data or models",
        "benchmark": "Papers proposing a new benchmark or dataset",
        "sota": "Papers claiming to beat prior work (outperform, state-of-the-art)",
        "efficiency": "Papers stressing savings in speed, memory or compute",
        "training_free": "Papers whose method needs no extra training (training-free, zero-shot)",
        "no_themes": "No key phrase recurs across the papers in this category ({n} in all).",
        "no_results": "None of the {n} summarised abstracts states a result in numbers"
        " or comparisons.",
        "scope": "{n} of the {total} papers in this category were summarised"
        " (most upvoted first, then those covering the category's main terms).",
        "upvoted": "Most upvoted paper: {title} ({n} upvotes) [{ref}]",
        "problem": "Open problems and outlook — {name}: {sentence} [{ref}]",
        "note": "This summary was extracted automatically from the paper abstracts,"
        " without an LLM. Its key themes are phrases this category's papers use markedly more"
        " often than the rest of the day's.",
    },
}

# All patterns are matched against lower-cased text (much faster than re.IGNORECASE).
# Trend patterns see the raw abstract, URLs included, since a GitHub link means released code.
_PATTERNS = {
    "code": re.compile(
        r"github\.com|huggingface\.co|\b(?:code|data|dataset|models?|weights)\b[^.]{0,60}"
        r"\b(?:available|released?|open-source[sd]?)\b|\bwe (?:publicly )?(?:release|open-source)"
    ),
    "benchmark": re.compile(
        r"\b(?:we|this (?:paper|work))\b[^.]{0,30}\b(?:introduce|present|propose|construct|build"
        r"|release|curate|create)[sd]?\b[^.]{0,80}\b(?:benchmark|dataset|corpus)"
    ),
    "sota": re.compile(r"outperform|state-of-the-art|\bsota\b|surpass"),
    "efficiency": re.compile(
        r"speed-?up|\bfaster\b|latency|memory (?:usage|footprint|cost)"
        r"|computational (?:cost|overhead)|\bflops\b"
    ),
    "training_free": re.compile(
        r"training-free|zero-shot|without (?:any )?(?:additional |extra |re)?training"
    ),
}
_CONTRIBUTION = re.compile(
    r"\bwe (?:propose|introduce|present)"
    r"|\b(?:this|our) (?:paper|work) (?:propose|introduce|present)"
)
_CLAIM = re.compile(r"\bwe (?:show|demonstrate)|achiev|outperform|demonstrat")
_RESULT = re.compile(r"outperform|state-of-the-art|\bsota\b|surpass|improv|reduc|speed-?up|faster")
_NUMBER = re.compile(r"\d\s?(?:%|×)|\d\.\d")  # "12.8%", "3×", "0.819": a measured result
_PROBLEM = re.compile(
    r"future (?:work|research|direction)|remains? (?:an? |largely )?(?:open|challenging|unclear"
    r"|unsolved|underexplored|difficult)|open (?:problem|question|challenge)"
    r"|\bstill (?:struggle|lack|fall)|pav(?:e|es|ing) the way|yet to be"
)
_AVAILABILITY = re.compile(
    r"\b(?:code|data|dataset|models?|benchmark|weights)\b.*\b(?:available|avaliable|released|"
    r"accessible|open-sourced)\b|\bwe (?:will )?(?:release|open-source)|\bproject page"
)
_LEAD_IN = re.compile(
    r"^(?:to (?:address|overcome|tackle|bridge|fill|solve|mitigate) (?:these|this|the|such)"
    r"(?: [^,]{1,40})?, (?:in this (?:paper|work), )?|in this (?:paper|work|study), )",
    re.IGNORECASE,
)
_NAME = re.compile(r"[a-zA-Z][A-Z]")  # "LLMs", "NeRF", "3DGS": one word that names something
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\"“])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|et al|vs|Fig|Eq|cf)\.$")


class DayPhrases:
    """The candidate phrases of a whole day's papers, counted once for every category: what a
    category's themes are measured against."""

    def __init__(self, papers: Sequence[SummaryInput]):
        self.papers = papers

    @cached_property
    def counts(self) -> Counter[tuple[str, ...]]:
        return phrase_counts(self.papers)


def phrase_counts(papers: Sequence[SummaryInput]) -> Counter[tuple[str, ...]]:
    """How many of `papers` use each candidate phrase (title or abstract)."""
    counts: Counter[tuple[str, ...]] = Counter()
    for paper in papers:
        counts.update(
            _phrase_keys(term_runs(paper.title)) | _phrase_keys(term_runs(paper.abstract))
        )
    return counts


def summarise(
    papers: Sequence[SummaryInput],
    *,
    language: str = "ko",
    featured_limit: int = 10,
    day: DayPhrases | None = None,
    names: Iterable[str] = (),
) -> Report:
    """The category report for `papers`, built only from counts and quotes.

    `day` holds every paper of the day: themes are then the phrases distinctive for the
    category against the rest of the day, not merely frequent ones. `names` are the category's
    names (and slug): a phrase naming the category itself is no theme."""
    if not papers:
        raise ValueError("cannot summarise an empty category")
    if language not in SECTION_TITLES:
        raise ValueError(
            f"unsupported language {language!r}; expected one of {list(SECTION_TITLES)}"
        )
    text = _TEXT[language]
    ranked = select_featured(papers, limit=len(papers))
    featured = ranked[:featured_limit]
    whole = (day.counts, len(day.papers)) if day is not None else (None, 0)
    phrases = _ranked_phrases(papers, limit=2 * _MAX_ITEMS, day=whole, names=names)
    used: set[str] = set()  # each quoted sentence appears once in the report

    findings = tuple(_finding(paper, used) for paper in featured)
    return Report(
        themes=_themes(phrases, len(papers), text),
        trends=_trends(papers, phrases, text),
        findings=findings,
        impact=_impact(featured, used, text),
        outlook=_outlook(ranked, featured, used, text),
        note=text["note"],
    )


def _ranked_phrases(
    papers: Sequence[SummaryInput],
    limit: int,
    day: tuple[Counter | None, int] = (None, 0),
    names: Iterable[str] = (),
) -> list[tuple[str, int]]:
    """The `limit` most characteristic key phrases (display form, paper count).

    A phrase is two to four content words, or one name-like word ("LLMs"), since a lone common
    word says little. It qualifies when two papers share it, or when it is a title's whole
    phrase (so that a small category still has themes, and not fragments of long titles), and
    is not a fragment, a generic phrase (THEME_STOP) or the category's own name. With the whole
    day to compare with (`day`: its phrase counts and size, `papers` included), it must also be
    MIN_LIFT times more common here than in the rest of the day, and ranks by how many papers
    use it times the log of that lift; without, by how many papers use it. Longer phrases weigh
    more as they are more specific; one overlapping a better-ranked phrase is dropped so a topic
    is not listed twice.
    """
    paper_count: Counter[tuple[str, ...]] = Counter()
    title_phrases: set[tuple[str, ...]] = set()
    for paper in papers:
        title_keys = _phrase_keys(term_runs(paper.title))
        title_phrases |= title_keys & _whole_runs(term_runs(paper.title))
        paper_count.update(title_keys | _phrase_keys(term_runs(paper.abstract)))
    own_names = [tuple(map(term_key, re.findall(r"[\w-]+", name))) for name in names]
    own_names = [key for key in own_names if key]
    day_count, day_size = day
    other_size = day_size - len(papers)

    def lift(key: tuple[str, ...]) -> float:
        """How much more often the category's papers use `key` than the rest of the day's."""
        if not day_count or other_size <= 0:
            return math.e  # nothing to compare with: frequency alone ranks
        share = paper_count[key] / len(papers)
        return share / ((day_count[key] - paper_count[key] + 1) / (other_size + 1))

    # "multimodal large" is a fragment: (nearly) every paper using it says "multimodal large
    # language", so the longer phrase is the real one.
    extension: Counter[tuple[str, ...]] = Counter()
    for key, n in paper_count.items():
        if n >= 2 and len(key) > 2:
            for part in (key[:-1], key[1:]):
                extension[part] = max(extension[part], n)

    lifts = {key: lift(key) for key in paper_count}

    def weight(key: tuple[str, ...]) -> tuple:
        distinct = paper_count[key] * math.log(lifts[key])
        return (-distinct * (1 + (len(key) - 1) / 2), -paper_count[key], key)

    picked: list[tuple[str, ...]] = []
    candidates = (
        key
        for key, n in paper_count.items()
        if (n >= 2 or key in title_phrases)
        and extension[key] < 0.8 * n
        and lifts[key] >= MIN_LIFT
        and key not in THEME_STOP
        and not any(_names_category(key, name) for name in own_names)
    )
    for key in sorted(candidates, key=weight):
        if not any(_overlaps(key, other) for other in picked):
            picked.append(key)
            if len(picked) == limit:
                break
    picked.sort(key=lambda key: -paper_count[key])
    # Spell a phrase as the abstracts do (titles capitalise every word), else as its title does.
    spellings = _spellings(set(picked), (term_runs(p.abstract) for p in papers))
    missing = set(picked) - set(spellings)
    spellings.update(_spellings(missing, (term_runs(p.title) for p in papers)))
    return [(_most_common(spellings[key]), paper_count[key]) for key in picked]


def _phrase_keys(runs: tuple[tuple[str, ...], ...]) -> set[tuple[str, ...]]:
    """The distinct candidate phrases in `runs`, as tuples of term keys."""
    found = set()
    for run in runs:
        keys = [term_key(word) for word in run]
        for start, word in enumerate(run):
            if not word.islower() and _NAME.search(word):
                found.add((keys[start],))
            for size in range(2, _MAX_PHRASE_WORDS + 1):
                key = tuple(keys[start : start + size])
                if len(key) == size and not GENERIC.issuperset(key):
                    found.add(key)
    return found


def _whole_runs(runs: tuple[tuple[str, ...], ...]) -> set[tuple[str, ...]]:
    """Runs short enough to be a phrase, plus every single word: a run's name-like word
    ("SpiDR") stands for its paper as well as a short run does."""
    words = {(term_key(word),) for run in runs for word in run}
    return words | {tuple(map(term_key, run)) for run in runs if len(run) <= _MAX_PHRASE_WORDS}


def _spellings(wanted: set[tuple[str, ...]], runs_per_paper: Iterable) -> dict[tuple, Counter[str]]:
    """How each wanted phrase is written across the papers."""
    found: defaultdict[tuple[str, ...], Counter[str]] = defaultdict(Counter)
    sizes = {len(key) for key in wanted}
    for runs in runs_per_paper:
        for run in runs:
            keys = [term_key(word) for word in run]
            for size in sizes:
                for start in range(len(run) - size + 1):
                    if (key := tuple(keys[start : start + size])) in wanted:
                        found[key][" ".join(run[start : start + size])] += 1
    return found


def _most_common(spellings: Counter[str]) -> str:
    """The most common spelling, lower case winning a tie."""
    return min(spellings, key=lambda s: (-spellings[s], s != s.lower(), s))


def _names_category(key: tuple[str, ...], name: tuple[str, ...]) -> bool:
    """Whether a phrase is the category's name, part of it, or its acronym or expansion
    ("NLP" and "language processing" for Natural Language Processing, "large language
    models" for LLM)."""
    if len(key) == 1 and len(name) == 1 and key[0].split("-")[0] == name[0]:
        return True  # "LLM-based" for LLM
    return _within(key, name) or _initials(name) == key[0] or _initials(key) == name[0]


def _within(part: tuple[str, ...], whole: tuple[str, ...]) -> bool:
    """Whether `part` is `whole` or a run of its words."""
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


def _initials(phrase: tuple[str, ...]) -> str | None:
    """ "llm" for ("large", "language", "model"); None for one word."""
    if len(phrase) < 2:
        return None
    return "".join(part[0] for word in phrase for part in word.split("-") if part)


def _acronym(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    """Whether the one word `short` holds the initials of the phrase `long` ("MLLMs")."""
    initials = _initials(long)
    return len(short) == 1 and bool(initials) and initials in short[0].split("-")[0]


def _overlaps(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether two phrases name one topic: they share a specific word ("diffusion models",
    "video diffusion") or one holds the other's acronym ("MLLMs", "large language models")."""
    short, long = sorted((a, b), key=len)
    return _acronym(short, long) or bool((set(a) & set(b)) - GENERIC)


def _counted(phrase: str, count: int, text: dict) -> str:
    papers = text["count_one"] if count == 1 else text["count"].format(n=count)
    return f'"{phrase}" ({papers})'


def _themes(phrases: list[tuple[str, int]], total: int, text: dict) -> tuple[str, ...]:
    themes = tuple(_counted(p, n, text) for p, n in phrases[:_MAX_ITEMS])
    return themes or (text["no_themes"].format(n=total),)


def _trends(
    papers: Sequence[SummaryInput], phrases: list[tuple[str, int]], text: dict
) -> tuple[str, ...]:
    trends = []
    keywords = [(p, n) for p, n in phrases[_MAX_ITEMS:] if n >= 2]
    if keywords:
        terms = ", ".join(_counted(p, n, text) for p, n in keywords)
        trends.append(text["keywords"].format(terms=terms))
    abstracts = [paper.abstract.lower() for paper in papers]
    counts = Counter(
        {name: sum(map(bool, map(p.search, abstracts))) for name, p in _PATTERNS.items()}
    )
    for name, count in counts.most_common():
        if count:
            share = count / len(papers)
            trends.append(
                text["pattern"].format(label=text[name], n=count, total=len(papers), share=share)
            )
    # No shared phrase and no pattern: say at least how much there was to go on.
    return tuple(trends) or (text["no_themes"].format(n=len(papers)),)


def _sentences(abstract: str) -> list[str]:
    """The abstract's sentences, minus "code is available at" boilerplate and fragments."""
    merged: list[str] = []
    for part in _SENTENCE_END.split(plain_text(abstract)):
        if merged and _ABBREVIATION.search(merged[-1]):
            merged[-1] += " " + part
        else:
            merged.append(part)
    return [s for s in merged if len(s.split()) >= 5 and not _AVAILABILITY.search(s.lower())]


def _best(sentences: list[str], score, used: set[str]) -> str | None:
    """The highest-scoring unused sentence, earliest on a tie; None unless its score is > 0."""
    candidates = [(score(s.lower()), -i, s) for i, s in enumerate(sentences) if s not in used]
    best = max(candidates, default=None)
    if best is None or best[0] <= 0:
        return None
    used.add(best[2])
    return best[2]


def _finding(paper: SummaryInput, used: set[str]) -> Finding:
    """The paper's title plus its contribution sentence, else its first; the title alone when
    there is no abstract."""
    sentences = _sentences(paper.abstract)

    def score(sentence: str) -> int:
        return 2 * bool(_CONTRIBUTION.search(sentence)) + bool(_CLAIM.search(sentence))

    sentence = _best(sentences, score, used) or _best(sentences[:1], lambda s: 1, used)
    title = plain_text(paper.title)
    if not sentence:
        return Finding(title, (paper.ref,))
    # "To address these challenges, we propose X" reads better as "We propose X".
    sentence = _LEAD_IN.sub("", sentence, count=1)
    return Finding(f"{title} — {sentence[0].upper()}{sentence[1:]}", (paper.ref,))


def _short_name(paper: SummaryInput) -> str:
    """The name before a title's colon ("InstructPart" in "InstructPart: Task-Oriented ..."),
    else the whole title."""
    title = plain_text(paper.title)
    name, colon, _ = title.partition(":")
    return name if colon and len(name) <= 40 else title


def _impact(featured: list[SummaryInput], used: set[str], text: dict) -> tuple[str, ...]:
    """Result statements from the featured abstracts; a number makes a claim more concrete."""

    def score(sentence: str) -> int:
        claims = len(_RESULT.findall(sentence))
        return claims + bool(claims and _NUMBER.search(sentence))

    impact = []
    for paper in featured:
        if sentence := _best(_sentences(paper.abstract), score, used):
            impact.append(f"{_short_name(paper)}: {sentence} [{paper.ref}]")
        if len(impact) == _MAX_ITEMS:
            break
    return tuple(impact) or (text["no_results"].format(n=len(featured)),)


def _outlook(
    ranked: list[SummaryInput], featured: list[SummaryInput], used: set[str], text: dict
) -> tuple[str, ...]:
    """How much was summarised, the most upvoted paper, then open problems and future
    directions stated in any abstract, best-ranked papers first."""
    outlook = [text["scope"].format(total=len(ranked), n=len(featured))]
    if ranked[0].upvotes:
        top = ranked[0]
        outlook.append(
            text["upvoted"].format(title=plain_text(top.title), n=top.upvotes, ref=top.ref)
        )
    problems = 0
    for paper in ranked:
        if not _PROBLEM.search(paper.abstract.lower()):
            continue  # skip the sentence split for the many abstracts without one
        sentence = _best(_sentences(paper.abstract), lambda s: len(_PROBLEM.findall(s)), used)
        if sentence:
            name = _short_name(paper)
            outlook.append(text["problem"].format(name=name, sentence=sentence, ref=paper.ref))
            problems += 1
        if problems == _MAX_ITEMS:
            break
    return tuple(outlook)
