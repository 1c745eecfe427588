"""Offline rule classifier: one taxonomy slug per paper from keywords and arXiv categories.

This is the walking skeleton's classifier (docs/taxonomy.md describes the categories). It is
deliberately simple and deterministic so that a wrong label can be explained by reading the
rules: each category has a list of phrases, a title hit counts more than an abstract hit,
abstract hits are capped so that long abstracts do not dominate, and the paper's arXiv
categories add a hint. The taxonomy's tie-break rules are applied only to categories with
strong evidence, so a single passing word ("robust", "efficient") never decides a paper.

One module: the phrase tables and the scoring that reads them are one concern, and most of
its length is the tables.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

TITLE_WEIGHT = 3.0  # a title names the contribution, an abstract also mentions side issues
TITLE_CAP = 2
ABSTRACT_CAP = 5
STRONG_ABSTRACT_HITS = 3  # without a title hit, this many abstract hits make evidence "strong"
PRIMARY_HINT = 2.0  # the primary arXiv category (listed first) is the authors' own choice
CROSS_HINT = 1.0
OVERRIDE_RATIO = 0.5  # a higher-ranked category needs this share of the best score to win
FULL_SCORE = 12.0  # the score at which evidence counts as overwhelming for the confidence


@dataclass(frozen=True)
class Decision:
    slug: str  # one of the 14 taxonomy slugs
    confidence: float  # 0..1, low when signals are weak or two categories are close
    method: str = "rule"
    runner_up: str | None = None  # the second choice, for the editors' review queue
    runner_up_confidence: float | None = None  # its probability, where the method has one


# Phrases per category, matched against lowercased text in which hyphens and line breaks
# are single spaces ("Vision-Language" is matched as "vision language"). All phrases form
# one regex that is scanned once; a phrase consumes its words, so where phrases of two
# categories start at the same word the category listed first here wins. That is why
# compounds such as "vision language action" (robotics) or "audio visual" (multimodal)
# come before the categories that own their parts.
# fmt: off
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "robotics": (
        r"robot\w*", r"embodied", r"locomotion", r"(?:robotic|dexterous|object) manipulation",
        r"grasp\w*", r"vision language action", r"vlas?", r"(?:autonomous|self) driving",
        r"drones?", r"uavs?", r"sim to real", r"(?:motion|path|trajectory) planning",
        r"planners?", r"humanoids?", r"quadrupeds?", r"legged", r"visuomotor",
        r"imitation learning", r"teleoperat\w*", r"(?:object|visual|robot) navigation",
        r"whole body control",
    ),
    "multimodal": (
        r"multi ?modal\w*(?: (?:large )?language models?| llms?)?", r"mllms?", r"lvlms?",
        r"vlms?", r"lmms?", r"vision (?:and |large )?language(?: models?)?", r"cross modal\w*",
        r"visual question answering", r"vqa", r"image text", r"text image", r"image to text",
        r"caption\w*", r"video (?:language models?|large language models?|llms?)",
        r"audio (?:visual|driven)", r"omni ?modal\w*", r"clip", r"interleaved",
        r"visual (?:grounding|instruction|reasoning)", r"unified (?:understanding|multimodal)",
    ),
    "audio": (
        r"(?:speech|audio|spoken)(?: (?:large )?language models?| llms?)?", r"speakers?",
        r"voices?", r"music\w*", r"acoustic\w*", r"asr", r"tts", r"text to speech", r"prosod\w*",
        r"phon(?:etic|eme)\w*", r"singing", r"sound (?:events?|generation|effects?)", r"podcasts?",
    ),
    "safety-ethics": (
        r"safety", r"unsafe", r"jailbreak\w*", r"adversarial", r"attack\w*", r"backdoors?",
        r"poisoning", r"privacy", r"membership inference", r"watermark\w*", r"fairness",
        r"(?:social|gender|racial|cultur\w*|political|ethical|demographic) bias\w*", r"biases",
        r"stereotyp\w*", r"interpretability", r"explainab\w*", r"explanations", r"mechanistic",
        r"sparse autoencoders?", r"saes?", r"calibrat\w*", r"conformal",
        r"uncertainty (?:quantification|estimation)", r"deepfakes?", r"forgery", r"guardrails?",
        r"harmful\w*", r"toxic\w*", r"red teaming", r"unlearning", r"copyright", r"misalign\w*",
        r"governance", r"ethic(?:s|al)", r"moral\w*", r"trustworth\w*", r"vulnerab\w*",
        r"malicious", r"threats?", r"defen[cs]es?", r"steganograph\w*",
        r"(?:ai|machine) generated (?:text|images?|content)", r"societal",
    ),
    "inference-acceleration": (
        r"quanti[sz]\w*", r"pruning", r"prune\w*", r"sparsity", r"sparse attention", r"kv cache",
        r"speculative decoding", r"accelerat\w*(?! (?:\w+ )?training)", r"speed ?ups?",
        r"latency", r"throughput", r"inference (?:cost|speed|efficiency|latency)",
        r"efficient (?:inference|reasoning|decoding|serving|deployment|attention)",
        r"(?:computational|inference|memory|token|reasoning|thinking) efficiency",
        r"overthink\w*", r"(?:reasoning|response|output) length", r"token (?:budget|usage)",
        r"(?:(?:large )?language |vision )?(?:model|llm|token|tensor|weight|kv cache) compression",
        r"compress\w* (?:\w+ ){0,2}(?:models?|llms?|networks?|weights?|caches?|tokens?)",
        r"token (?:pruning|merging|reduction)", r"flops", r"on device",
        r"edge (?:devices?|ai|computing)", r"fpgas?", r"hardware", r"(?:gpu|cuda|triton) kernels?",
        r"spiking", r"neuromorphic", r"low rank (?:decomposition|approximation|compression)",
    ),
    "ai-for-science": (
        r"medic(?:al|ine)", r"clinic(?:al|ians?)", r"patients?", r"diseases?",
        r"diagnos(?:is|es|tic\w*)", r"cancer", r"tumou?rs?", r"oncolog\w*", r"health\w*",
        r"biomedic\w*", r"radiolog\w*", r"patholog\w*", r"surg\w*", r"mri", r"ct", r"ehrs?",
        r"eeg", r"ecg", r"oct", r"fmri", r"x ray", r"ultrasound", r"endoscop\w*", r"ophthalm\w*",
        r"retina\w*", r"lesions?", r"drugs?", r"proteins?", r"molecul\w*", r"genom\w*",
        r"single cell", r"microscop\w*", r"cryo\w*", r"soil", r"chemi\w*",
        r"materials (?:science|discovery)", r"quantum", r"climate", r"astronom\w*", r"galax\w*",
        r"seismic", r"ocean\w*", r"marine", r"ecolog\w*", r"species", r"agricultur\w*", r"crops?",
        r"neuroscien\w*", r"brain", r"mental health", r"psychiatr\w*", r"suicid\w*", r"biolog\w*",
        r"scientific discovery",
    ),
    "llm": (
        r"(?:large )?language models?", r"[ls]?lms?", r"lrms?", r"large reasoning models?",
        r"diffusion language models?", r"next token (?:prediction|models?)", r"reasoning",
        r"chain of thoughts?", r"cot", r"prompt\w*", r"in context learning",
        r"retrieval augmented(?: generation)?", r"rag", r"agents?", r"agentic",
        r"tool (?:use|calling)", r"instruction (?:tuning|following)", r"rlhf", r"grpo",
        r"hallucinat\w*", r"gpt\w*", r"chatgpt", r"llama\w*", r"qwen\w*", r"deepseek\w*",
        r"test time scaling", r"text to sql", r"code generation", r"knowledge editing",
        r"model editing", r"long context", r"judges?",
    ),
    "information-retrieval": (
        r"information retrieval", r"retrieval", r"retrievers?", r"re ?rank\w*", r"ranking",
        r"recommend\w*", r"search engines?", r"web search", r"(?:search|user) quer(?:y|ies)",
        r"query (?:expansion|rewriting|understanding)", r"click\w*", r"ctr", r"bm25",
        r"collaborative filtering", r"embedding models?",
    ),
    "graphs-tabular": (
        r"graph neural networks?", r"gnns?", r"node (?:classification|embeddings?)",
        r"link prediction", r"graph (?:learning|representation|transformers?|classification)",
        r"knowledge graph (?:completion|embeddings?)", r"hypergraph\w*", r"tabular",
        r"time series", r"forecast\w*", r"spatio ?temporal", r"causal discovery",
        r"temporal point process\w*", r"traffic", r"heterogeneous graphs?",
    ),
    "computer-vision": (
        r"images?", r"video\w*", r"visual", r"vision", r"(?<!word )segment\w*",
        r"object detection", r"detectors?", r"tracking", r"depth", r"[234]d", r"point clouds?",
        r"nerfs?", r"radiance fields?", r"gaussian splatting", r"splat\w*", r"pose",
        r"super resolution", r"restoration", r"inpainting", r"diffusion models?",
        r"generative adversarial networks?", r"gans?", r"convolutional", r"cnns?", r"vits?",
        r"vision transformers?", r"pixels?", r"cameras?", r"lidar", r"remote sensing",
        r"satellite", r"re identification", r"(?:activity|action|gesture) recognition",
        r"face (?:recognition|detection|swap\w*|restoration|images?|videos?)", r"facial",
        r"optical flow", r"stereo",
        r"render\w*", r"mesh\w*", r"slam", r"view synthesis", r"text to (?:image|video|3d)",
        r"scene\w*", r"editing",
    ),
    "nlp": (
        r"translat\w*", r"pars(?:ing|er)", r"named entity", r"ner", r"entity linking",
        r"(?:information|relation) extraction", r"sentiment", r"summari[sz]\w*",
        r"dialog(?:ue)?s?", r"linguistic\w*", r"low resource", r"multilingual", r"cross lingual",
        r"languages", r"corpus", r"corpora", r"text classification", r"nlp",
        r"natural language processing", r"hate\w*", r"offensive", r"cyberbullying",
        r"misinformation", r"rumou?rs?", r"stance", r"essays?", r"grammatical", r"grammar",
        r"lexic\w*", r"morpholog\w*", r"syntactic", r"syntax", r"word embeddings?",
        r"social media", r"dialects?", r"endangered", r"bert\w*", r"question answering",
        r"transliterat\w*",
    ),
    "reinforcement-learning": (
        r"reinforcement learning", r"rl", r"polic(?:y|ies)", r"rewards?", r"bandits?", r"marl",
        r"markov decision", r"mdps?", r"q learning", r"actor critic", r"games?", r"ppo",
        r"exploration", r"regret",
    ),
    "model-training": (
        r"optimi[sz]ers?", r"sgd", r"adam\w*", r"gradient (?:descent|flow)", r"generali[sz]ation",
        r"learnability", r"learning theory",
        r"training dynamics", r"regulari[sz]\w*", r"self supervised",
        r"contrastive (?:learning|loss)", r"architectures?", r"batch sizes?", r"learning rates?",
        r"initiali[sz]ation",
        r"representation learning", r"continual learning", r"catastrophic forgetting",
        r"federated", r"meta learning", r"domain (?:adaptation|generali[sz]ation)",
        r"distribution shifts?", r"out of distribution", r"ood", r"data augmentation",
        r"data selection", r"(?:dataset|knowledge) distillation", r"bayesian",
        r"loss landscape", r"scaling laws?", r"mixture of experts", r"moe", r"semi supervised",
        r"active learning", r"curriculum", r"parameter efficient", r"lora", r"peft",
        r"model merging", r"test time (?:adaptation|training)", r"convergence",
        r"sample complexity", r"physics informed", r"neural operators?", r"few shot learning",
        r"class incremental", r"pretraining", r"fine tuning",
        r"(?:efficient|accelerat\w*) (?:\w+ )?training", r"training (?:acceleration|efficiency)",
    ),
    "other": (
        r"philosoph\w*", r"educat\w*", r"pedagog\w*", r"students?", r"user stud(?:y|ies)",
        r"human computer interaction", r"formal (?:methods|verification|logic)", r"theorems?",
        r"algebra\w*", r"calculus",
    ),
}
# fmt: on
SLUGS = tuple(_KEYWORDS)
_GROUP_TO_SLUG = {slug.replace("-", "_"): slug for slug in SLUGS}
# (?=\w) skips the boundaries at word ends, which halves the positions the regex tries.
_PHRASES = re.compile(
    r"\b(?=\w)(?:"
    + "|".join(f"(?P<{slug.replace('-', '_')}>{'|'.join(ph)})" for slug, ph in _KEYWORDS.items())
    + r")\b"
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2013]+")

# arXiv category (or whole archive) -> (slug, strength). Strength 0.5 marks a weak hint: cs.LG
# or cs.MA say little about the topic. Codes not listed (cs.AI, ACM or MSC classes) are ignored.
# fmt: off
_ARXIV_HINTS: dict[str, tuple[str, float]] = {
    "cs.RO": ("robotics", 1.0), "eess.SY": ("robotics", 0.5),
    "cs.CV": ("computer-vision", 1.0), "eess.IV": ("computer-vision", 1.0),
    "cs.GR": ("computer-vision", 1.0), "cs.MM": ("multimodal", 0.5),
    "cs.CL": ("llm", 1.0), "cs.SD": ("audio", 1.0), "eess.AS": ("audio", 1.0),
    "cs.IR": ("information-retrieval", 1.0), "cs.DL": ("information-retrieval", 0.5),
    "cs.CR": ("safety-ethics", 1.0), "cs.CY": ("safety-ethics", 0.5),
    "cs.AR": ("inference-acceleration", 1.0), "cs.PF": ("inference-acceleration", 0.5),
    "cs.DC": ("inference-acceleration", 0.5), "cs.SI": ("graphs-tabular", 0.5),
    "cs.DB": ("graphs-tabular", 0.5), "cs.MA": ("reinforcement-learning", 0.5),
    "cs.GT": ("reinforcement-learning", 0.5), "cs.LG": ("model-training", 0.5),
    "stat.ML": ("model-training", 0.5), "math.OC": ("model-training", 0.5),
    "cs.NE": ("model-training", 0.5), "cs.CE": ("ai-for-science", 0.5),
    "cs.HC": ("other", 0.5), "cs.LO": ("other", 0.5),
    "q-bio": ("ai-for-science", 1.0), "physics": ("ai-for-science", 1.0),
    "cond-mat": ("ai-for-science", 1.0), "astro-ph": ("ai-for-science", 1.0),
    "quant-ph": ("ai-for-science", 1.0), "q-fin": ("ai-for-science", 1.0),
}
# fmt: on
# cs.CL covers both LLM and classic NLP papers, so it hints at both and the words decide.
_EXTRA_HINTS = {"cs.CL": ("nlp",)}

# The taxonomy's tie-break chain as ranks (lower is more specific): a strong category
# outranks the best-scoring one when it comes close enough. Equal ranks compete on score,
# so an LLM paper is not pulled into vision by a few image words, or the other way round.
# fmt: off
_RANK = {
    "safety-ethics": 0, "inference-acceleration": 1, "robotics": 2, "ai-for-science": 3,
    "audio": 5, "multimodal": 5, "computer-vision": 6, "information-retrieval": 6,
    "graphs-tabular": 6, "llm": 6, "nlp": 7, "reinforcement-learning": 8,
    "model-training": 9, "other": 10,
}
# fmt: on


def _arxiv_hints(categories: Sequence[str]) -> dict[str, float]:
    """Strongest hint per slug; the primary category counts double a cross-list."""
    hints: dict[str, float] = {}
    for position, raw in enumerate(categories):
        code = raw.strip()
        hint = _ARXIV_HINTS.get(code) or _ARXIV_HINTS.get(code.split(".")[0])
        if hint is None:
            continue
        slug, strength = hint
        weight = strength * (PRIMARY_HINT if position == 0 else CROSS_HINT)
        for target in (slug, *_EXTRA_HINTS.get(code, ())):
            hints[target] = max(hints.get(target, 0.0), weight)
    return hints


def _hits(text: str) -> dict[str, int]:
    """Phrase hits per slug in one pass over the normalised, lowercased text."""
    counts: dict[str, int] = {}
    for match in _PHRASES.finditer(_SEPARATORS.sub(" ", text).lower()):
        slug = _GROUP_TO_SLUG[match.lastgroup]
        counts[slug] = counts.get(slug, 0) + 1
    return counts


@dataclass(frozen=True)
class Evidence:
    """What the rules saw, per slug; the local model learns from it as well (classifiers.local)."""

    title_hits: dict[str, int]  # capped at TITLE_CAP
    abstract_hits: dict[str, int]  # capped at ABSTRACT_CAP
    hints: dict[str, float]  # from the arXiv categories
    scores: dict[str, float]


def evidence(title: str, abstract: str, arxiv_categories: Sequence[str]) -> Evidence:
    title_hits, abstract_hits = _hits(title or ""), _hits(abstract or "")
    capped_title = {slug: min(n, TITLE_CAP) for slug, n in title_hits.items()}
    capped_abstract = {slug: min(n, ABSTRACT_CAP) for slug, n in abstract_hits.items()}
    hints = _arxiv_hints(arxiv_categories or ())
    scores = {
        slug: TITLE_WEIGHT * capped_title.get(slug, 0)
        + capped_abstract.get(slug, 0)
        + hints.get(slug, 0.0)
        for slug in SLUGS
    }
    return Evidence(capped_title, capped_abstract, hints, scores)


def classify(title: str, abstract: str, arxiv_categories: Sequence[str]) -> Decision:
    """Pick the slug a reader of the digest would most expect, with an honest confidence."""
    return decide(evidence(title, abstract, arxiv_categories))


def decide(seen: Evidence) -> Decision:
    scores = seen.scores
    strong = [
        slug
        for slug in SLUGS
        if seen.title_hits.get(slug) or seen.abstract_hits.get(slug, 0) >= STRONG_ABSTRACT_HITS
    ]
    chosen = max(SLUGS, key=lambda s: (scores[s], -_RANK[s]))
    if scores[chosen] == 0:
        return Decision("other", 0.1)
    for slug in sorted(strong, key=_RANK.__getitem__):
        if _RANK[slug] < _RANK[chosen] and scores[slug] >= OVERRIDE_RATIO * scores[chosen]:
            chosen = slug
            break

    second = max((s for s in SLUGS if s != chosen), key=lambda s: (scores[s], -_RANK[s]))
    runner_up = scores[second]
    margin = max(0.0, scores[chosen] - runner_up) / scores[chosen]
    strength = min(1.0, scores[chosen] / FULL_SCORE)
    confidence = strength * (0.5 + 0.5 * margin)
    return Decision(
        chosen, round(min(0.95, max(0.05, confidence)), 3), runner_up=second if runner_up else None
    )
