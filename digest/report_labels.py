"""The reference product's free-form category labels, mapped onto the taxonomy."""

import re

from digest.report_format import ReportError
from papers.models import Category

OTHER = "other"

# Free-form labels of the reference product -> taxonomy slugs, keyed by `normalise(label)`.
# Category names (English and Korean) and slugs match without being listed; unknown labels go
# to Other, for editors to re-file.
SYNONYMS = {
    "llms": "llm",
    "large language models": "llm",
    "language models": "llm",
    "reasoning models": "llm",
    "nlp": "nlp",
    "video generation": "computer-vision",
    "diffusion models": "computer-vision",
    "speech": "audio",
    "imitation learning": "reinforcement-learning",
    "autonomous systems": "robotics",
    "machine learning": "model-training",
    "deep learning": "model-training",
    "neural networks": "model-training",
    "model architectures": "model-training",
    "optimization": "model-training",
    "federated learning": "model-training",
    "machine learning theory": "model-training",
    "model compression": "inference-acceleration",
    "ai ethics": "safety-ethics",
    "ethics in ai": "safety-ethics",
    "machine learning ethics": "safety-ethics",
    "ai alignment": "safety-ethics",
    "ai safety": "safety-ethics",
    "security": "safety-ethics",
    "cybersecurity": "safety-ethics",
    "interpretability": "safety-ethics",
    "model explainability": "safety-ethics",
    "graph neural networks": "graphs-tabular",
    "graph networks": "graphs-tabular",
    "tabular": "graphs-tabular",
    "time series": "graphs-tabular",
    "information retrieval": "information-retrieval",
    "recommender systems": "information-retrieval",
    "recommendation systems": "information-retrieval",
    "healthcare ai": "ai-for-science",
    "ai in healthcare": "ai-for-science",
    "ai in medicine": "ai-for-science",
    "ethics in ai and health": "ai-for-science",
    "physics": "ai-for-science",
    "quantum computing": "ai-for-science",
    "quantum machine learning": "ai-for-science",
    "scientific computing": "ai-for-science",
}


def normalise(label: str) -> str:
    """Case, '&' and punctuation variants of a label compare equal."""
    return " ".join(re.sub(r"[^\w]+", " ", label.casefold().replace("&", " and ")).split())


class CategoryMap:
    """Label -> taxonomy category, for one import run; unknown labels are filed under Other."""

    def __init__(self):
        categories = {c.slug: c for c in Category.objects.all()}
        if OTHER not in categories:
            raise ReportError("The taxonomy has no 'other' category to file unknown labels under.")
        self.other = categories[OTHER]
        self.by_label = {
            normalise(label): categories[slug]
            for label, slug in SYNONYMS.items()
            if slug in categories
        }
        for category in categories.values():
            for label in (category.slug.replace("-", " "), category.name, category.name_ko):
                self.by_label[normalise(label)] = category

    def __getitem__(self, label: str) -> Category:
        return self.by_label.get(normalise(label), self.other)

    def is_known(self, label: str) -> bool:
        return normalise(label) in self.by_label
