"""The local classifier: a linear model over TF-IDF of the title and abstract (words and
character n-grams), the arXiv categories, optionally a static sentence embedding
(papers/classifiers/embedding.py) and the rule classifier's evidence (docs/classifier.md has the
measurements that chose which). It runs offline on CPU; its temperature-scaled probabilities
are the confidence.

An artefact is `model-v<N>.joblib` in the model directory; the highest N is the current model,
so retraining adds a version and deleting the newest file rolls back. An artefact holds only
scikit-learn objects and plain data, never our classes, and records the scikit-learn version it
was made with: another version could unpickle it subtly wrong, so it is refused instead.

One module: the features, training, calibration, the artefact's format and prediction must
agree with each other exactly, so they are kept together.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from django.conf import settings
from scipy import sparse

from papers.classifiers import labelled, rules
from papers.classifiers.labelled import Example

log = logging.getLogger(__name__)

FEATURES = 3  # bump when the features or the state change: older artefacts are refused
FOLDS = 4  # month-grouped folds for the out-of-fold scores the temperature is fitted on
_ARTEFACT = re.compile(r"^model-v(\d+)\.joblib$")
_CACHE: dict = {}

# The shipped design (docs/classifier.md: chosen by month-grouped CV inside the training months).
DEFAULT_SPEC = {
    "words": True,  # TF-IDF of title + abstract, words and word pairs
    "chars": True,  # TF-IDF of the title's character 2-5-grams (within word boundaries)
    "codes": True,  # the arXiv categories as tokens
    "embedding": 1.0,  # weight of the static MiniLM embedding block (0: not used)
    "rules": 0.5,  # weight of the rule classifier's evidence (0: not used)
    "learner": "svm",  # a linear SVM, its margins temperature-scaled; or "logreg"
    "C": 0.3,
}


class ModelError(Exception):
    """The model artefact cannot be used; the message says why and what to do."""


Text = tuple[str, str, Sequence[str]]  # title, abstract, arXiv categories


@dataclass
class Model:
    version: int
    spec: dict
    vectorizers: dict  # block name -> fitted TfidfVectorizer
    classifier: object  # LogisticRegression or LinearSVC
    trained_at: str
    token_weights: np.ndarray | None = None  # the embedding's IDF per token, when used
    temperature: float = 1.0
    training: dict = field(default_factory=dict)  # papers per source
    held_out: dict = field(default_factory=dict)  # the score on the held-out months

    @property
    def classes(self) -> list[str]:
        return [str(slug) for slug in self.classifier.classes_]

    def probabilities(self, texts: Sequence[Text]) -> np.ndarray:
        return _softmax(self.scores(texts), self.temperature)

    def scores(self, texts: Sequence[Text]) -> np.ndarray:
        """One logit per paper and class (two classes give one score: the second's)."""
        scores = self.classifier.decision_function(self._features(texts))
        return scores if scores.ndim == 2 else np.column_stack([-scores, scores]) / 2

    def predict(self, texts: Sequence[Text], allowed: Iterable[str] | None = None):
        """One rules.Decision per text; with `allowed`, only those slugs can be chosen and the
        confidence is renormalised over them (an editor may have retired a category)."""
        return self.predict_with_chances(texts, allowed)[0]

    def predict_with_chances(self, texts: Sequence[Text], allowed: Iterable[str] | None = None):
        """The decisions, and each paper's probability per allowed category (a dict)."""
        if not texts:
            return [], []
        classes = self.classes
        allowed = None if allowed is None else set(allowed)
        mask = np.array([allowed is None or slug in allowed for slug in classes])
        if not mask.any():
            raise ModelError("None of the model's categories is active in the taxonomy.")
        chances = self.probabilities(texts) * mask
        chances /= chances.sum(axis=1, keepdims=True)
        best = chances.argmax(axis=1)
        # The second choice, for the editors' review queue (none when nothing else is allowed).
        second = np.argsort(-chances, axis=1, kind="stable")[:, min(1, len(classes) - 1)]
        decisions = [
            rules.Decision(
                classes[i],
                round(float(row[i]), 4),
                method="model",
                runner_up=classes[j] if j != i and row[j] > 0 else None,
                runner_up_confidence=round(float(row[j]), 4) if j != i and row[j] > 0 else None,
            )
            for i, j, row in zip(best, second, chances, strict=True)
        ]
        kept = [j for j, keep in enumerate(mask) if keep]
        return decisions, [{classes[j]: float(row[j]) for j in kept} for row in chances]

    def fit(self, examples: Sequence[Example]) -> Model:
        texts = [(e.title, e.abstract, e.categories) for e in examples]
        for name, vectorizer in self.vectorizers.items():
            vectorizer.fit(_block_texts(name, texts))
        if self.spec.get("embedding"):
            from papers.classifiers import embedding

            static = embedding.static()
            self.token_weights = static.fit_weights(static.ids(_joined(texts)))
        self.classifier.fit(self._features(texts), [e.label for e in examples])
        return self

    def _features(self, texts: Sequence[Text]):
        blocks = [v.transform(_block_texts(n, texts)) for n, v in self.vectorizers.items()]
        if self.spec.get("embedding"):
            from papers.classifiers import embedding

            static = embedding.static()
            vectors = static.encode_ids(static.ids(_joined(texts)), self.token_weights)
            blocks.append(sparse.csr_matrix(vectors * self.spec["embedding"]))
        if self.spec.get("rules"):
            blocks.append(_rule_features(texts) * self.spec["rules"])
        return sparse.hstack(blocks, format="csr")


def _joined(texts: Sequence[Text]) -> list[str]:
    return [f"{title}. {abstract}" for title, abstract, _ in texts]


def _block_texts(name: str, texts: Sequence[Text]) -> list[str]:
    if name == "words":
        return _joined(texts)
    if name == "chars":
        return [title for title, _, _ in texts]
    if name == "codes":
        return [_codes(categories) for _, _, categories in texts]
    raise ValueError(name)


def untrained(version: int, spec: dict | None = None) -> Model:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    spec = {**DEFAULT_SPEC, **(spec or {})}
    words = {"sublinear_tf": True, "strip_accents": "unicode", "min_df": 2, "dtype": np.float32}
    vectorizers = {}
    if spec["words"]:
        vectorizers["words"] = TfidfVectorizer(**words, ngram_range=(1, 2), max_df=0.5)
    if spec["chars"]:
        vectorizers["chars"] = TfidfVectorizer(
            **{**words, "min_df": 3}, analyzer="char_wb", ngram_range=(2, 5)
        )
    if spec["codes"]:
        vectorizers["codes"] = TfidfVectorizer(token_pattern=r"\S+", lowercase=False)
    if spec["learner"] == "svm":
        classifier = LinearSVC(C=spec["C"], class_weight="balanced")
    else:
        classifier = LogisticRegression(C=spec["C"], max_iter=3000, class_weight="balanced")
    return Model(
        version=version,
        spec=spec,
        vectorizers=vectorizers,
        classifier=classifier,
        trained_at=datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    )


def train(
    examples: Sequence[Example],
    version: int,
    training: dict | None = None,
    spec: dict | None = None,
) -> Model:
    model = untrained(version, spec).fit(examples)
    model.temperature = _temperature(examples, model.classes, model.spec)
    model.training = training or {"papers": len(examples)}
    # Single precision halves the artefact; the probabilities agree to about 1e-7.
    model.classifier.coef_ = model.classifier.coef_.astype(np.float32)
    return model


def month_folds(examples: Sequence[Example], count: int) -> list[int]:
    """Each example's fold: whole listing months dealt round the folds in date order, so a
    fold's papers come from months the rest never saw (an example without a date goes by its
    id's hash)."""
    months = sorted({e.month for e in examples if e.month})
    fold_of = {month: i % count for i, month in enumerate(months)}
    return [fold_of[e.month] if e.month else labelled.bucket(e.arxiv_id, count) for e in examples]


def out_of_fold_scores(
    examples: Sequence[Example], classes: list[str], spec: dict, folds: Sequence[int]
) -> np.ndarray | None:
    """Each paper's scores from a model fitted on the other folds (None: too few to do it)."""
    scores = np.full((len(examples), len(classes)), -1e9)  # a class a fold never saw
    for fold in sorted(set(folds)):
        inside = [e for e, f in zip(examples, folds, strict=True) if f != fold]
        outside = [i for i, f in enumerate(folds) if f == fold]
        if not outside or len({e.label for e in inside}) < 2:
            return None
        model = untrained(0, spec).fit(inside)
        columns = [classes.index(slug) for slug in model.classes]
        texts = [(examples[i].title, examples[i].abstract, examples[i].categories) for i in outside]
        scores[np.ix_(outside, columns)] = model.scores(texts)
    return scores


def fit_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    from scipy.optimize import minimize_scalar

    def loss(temperature: float) -> float:
        chances = _softmax(scores, temperature)[np.arange(len(truth)), truth]
        return -np.log(np.clip(chances, 1e-12, None)).mean()

    return float(minimize_scalar(loss, bounds=(0.01, 20), method="bounded").x)


def _temperature(examples: Sequence[Example], classes: list[str], spec: dict) -> float:
    """The softmax temperature that makes the confidence mean what it says, fitted on
    out-of-fold scores of the training papers, folds by listing month: a model is
    overconfident about the papers of a month it has not seen; one temperature tempers that
    without changing any decision (docs/classifier.md shows the calibration)."""
    scores = out_of_fold_scores(examples, classes, spec, month_folds(examples, FOLDS))
    if scores is None:
        return 1.0
    return fit_temperature(scores, np.array([classes.index(e.label) for e in examples]))


def _softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    scaled = scores / temperature
    scaled -= scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


def directory() -> Path:
    return Path(settings.DIGEST_CLASSIFIER_DIR)


def artefacts(folder: Path | None = None) -> dict[int, Path]:
    folder = folder or directory()
    found = {}
    for path in folder.glob("model-v*.joblib"):
        match = _ARTEFACT.match(path.name)
        if match:
            found[int(match.group(1))] = path
    return found


def save(model: Model, folder: Path | None = None) -> Path:
    """Write the artefact atomically, so a classifier never reads half a file."""
    import joblib
    import sklearn

    folder = folder or directory()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"model-v{model.version}.joblib"
    for vectorizer in model.vectorizers.values():
        vectorizer.stop_words_ = None  # the pruned terms: large, and not needed to transform
    state = {
        "features": FEATURES,
        "sklearn": sklearn.__version__,
        **{name: getattr(model, name) for name in Model.__dataclass_fields__},
    }
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    os.close(handle)
    try:
        joblib.dump(state, temporary, compress=3)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; workers may run as another user
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return path


def load(path: Path) -> Model:
    import joblib
    import sklearn

    try:
        state = joblib.load(path)
    except Exception as exc:  # a damaged or foreign file can fail in many ways
        raise ModelError(f"{path}: unreadable model artefact ({exc}).") from exc
    if not isinstance(state, dict) or state.get("features") != FEATURES:
        raise ModelError(f"{path}: made for other features; run manage.py train_classifier.")
    if state.get("sklearn") != sklearn.__version__:
        raise ModelError(
            f"{path}: made with scikit-learn {state.get('sklearn')}, this is "
            f"{sklearn.__version__}; run manage.py train_classifier."
        )
    return Model(**{name: state[name] for name in Model.__dataclass_fields__})


def latest(folder: Path | None = None) -> Model | None:
    """The newest artefact, or None when there is none; ModelError if it cannot be used."""
    found = artefacts(folder)
    return load(found[max(found)]) if found else None


def current() -> Model | None:
    """The model classification uses, loaded once per artefact; None means the rules decide."""
    found = artefacts()
    if not found:
        return None
    path = found[max(found)]
    key = (path, path.stat().st_mtime_ns)
    if key not in _CACHE:
        try:
            model = load(path)
        except ModelError as exc:
            log.warning("%s Falling back to the rule classifier.", exc)
            model = None
        _CACHE.clear()
        _CACHE[key] = model
    return _CACHE[key]


def _codes(categories: Sequence[str]) -> str:
    """arXiv categories as tokens; the first is the authors' primary choice."""
    codes = [code.strip() for code in categories if code and code.strip()]
    if not codes:
        return "none"
    return " ".join([f"primary:{codes[0]}", *(f"cat:{code}" for code in codes)])


def _rule_features(texts: Sequence[Text]):
    """The rules' evidence, scaled to about 0..1: a slug's score, its capped title and abstract
    hits and arXiv hint, and the rules' own decision (weighted by its confidence), which carries
    the taxonomy's tie-breaks."""
    width = len(rules.SLUGS)
    rows = np.zeros((len(texts), 5 * width))
    for row, (title, abstract, categories) in zip(rows, texts, strict=True):
        seen = rules.evidence(title, abstract, categories)
        decision = rules.decide(seen)
        for i, slug in enumerate(rules.SLUGS):
            row[i] = seen.scores[slug] / rules.FULL_SCORE
            row[width + i] = seen.title_hits.get(slug, 0) / rules.TITLE_CAP
            row[2 * width + i] = seen.abstract_hits.get(slug, 0) / rules.ABSTRACT_CAP
            row[3 * width + i] = seen.hints.get(slug, 0.0) / rules.PRIMARY_HINT
        row[4 * width + rules.SLUGS.index(decision.slug)] = 0.5 + decision.confidence
    return sparse.csr_matrix(rows)
