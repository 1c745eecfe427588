"""What Claude as the classifier is asked, and what it costs, offline: every paper (the default
with a key, DIGEST_CLAUDE_CLASSIFY=all) and only the unsure ones (`unsure`).

On the random sample of the held-out months (papers of days the shipped model never saw, as a
real day has them), the shipped local model decides every paper (its macro-F1 and weakest
category, as `eval_classifier` scores them): the papers below ANTHROPIC_CLASSIFY_BELOW are the
ones Claude would be asked about with `unsure`, and the local model's accuracy on them against
the rest says how much there is to gain. The exact
requests (papers/classifiers/claude.py, default taxonomy, chunks of ANTHROPIC_CLASSIFY_CHUNK)
are built for those papers and for all of them, and their tokens estimated without a tokenizer
(summaries.prompts.estimate_tokens; expect +-30%); the output is the answer's JSON, thinking
not counted. Figures are scaled to a 1,500-paper day at ANTHROPIC_CLASSIFY_MODEL's prices,
plain and batched.

Run: DEBUG=1 uv run python bench/classify_llm_cost.py
"""

import importlib
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402

from llm.client import Usage  # noqa: E402
from papers.classifiers import claude, labelled, local, metrics  # noqa: E402
from papers.models import Category, Paper  # noqa: E402
from summaries.prompts import estimate_tokens  # noqa: E402

TAXONOMY = importlib.import_module("papers.migrations.0002_default_taxonomy").TAXONOMY
DAY_SIZE = 1500


def usage(papers: list[Paper], slugs: list[str]) -> tuple[Usage, int]:
    """Tokens of the requests for `papers` (the system prompt cached after the first), and how
    many requests; each answer gives every paper the longest slug, to err on the high side."""
    categories = [Category(slug=t[0], description=t[5]) for t in TAXONOMY]
    system = claude.system_prompt(categories)
    reply_schema = claude.schema(slugs)
    size = settings.ANTHROPIC_CLASSIFY_CHUNK
    longest = max(slugs, key=len)
    total = Usage()
    chunks = [papers[start : start + size] for start in range(0, len(papers), size)]
    for index, chunk in enumerate(chunks):
        params = claude.request(chunk, system, reply_schema)
        answer = {"papers": [{"id": p.ref, "category": longest, "confidence": 0.83} for p in chunk]}
        cache = "cache_creation_input_tokens" if index == 0 else "cache_read_input_tokens"
        total += Usage(
            input_tokens=estimate_tokens(params["messages"][0]["content"])
            + estimate_tokens(json.dumps(reply_schema)),
            output_tokens=estimate_tokens(json.dumps(answer)),
            **{cache: estimate_tokens(system)},
        )
    return total, len(chunks)


def main() -> None:
    model = local.latest()
    if model is None:
        sys.exit("No local model artefact: run manage.py train_classifier first.")
    held_out = labelled.random_sample(labelled.split(labelled.shipped())[1])
    decisions = model.predict([(e.title, e.abstract, e.categories) for e in held_out])
    below = settings.ANTHROPIC_CLASSIFY_BELOW
    hard = [i for i, d in enumerate(decisions) if d.confidence < below]
    easy = [i for i, d in enumerate(decisions) if d.confidence >= below]

    def accuracy(indices: list[int]) -> float:
        right = sum(decisions[i].slug == held_out[i].label for i in indices)
        return right / len(indices) if indices else 0.0

    share = len(hard) / len(held_out)
    scores = metrics.evaluate([e.label for e in held_out], [d.slug for d in decisions])
    weakest = min(scores.rows, key=lambda row: row.f1)
    print(
        f"held out: {len(held_out)} papers, model v{model.version}, macro-F1 "
        f"{scores.macro_f1:.3f} (weakest {weakest.slug} {weakest.f1:.3f}); {len(hard)} below "
        f"{below} ({share:.1%}): local accuracy {accuracy(hard):.3f} there, "
        f"{accuracy(easy):.3f} on the other {len(easy)}"
    )

    papers = [
        Paper(
            arxiv_id=e.arxiv_id, title=e.title, abstract=e.abstract, arxiv_categories=e.categories
        )
        for e in held_out
    ]
    slugs = sorted(t[0] for t in TAXONOMY)
    name = settings.ANTHROPIC_CLASSIFY_MODEL
    figures = {}
    print(f"default with a key: DIGEST_CLAUDE_CLASSIFY={settings.DIGEST_CLAUDE_CLASSIFY}")
    for mode, chosen in (("all", papers), ("hard", [papers[i] for i in hard])):
        tokens, requests = usage(chosen, slugs)
        scale = DAY_SIZE / len(held_out)
        per_day = {
            "papers": round(len(chosen) * scale),
            "requests": round(requests * scale),
            "input_tokens": round(
                (
                    tokens.input_tokens
                    + tokens.cache_creation_input_tokens
                    + tokens.cache_read_input_tokens
                )
                * scale
            ),
            "output_tokens": round(tokens.output_tokens * scale),
            "cost_usd": float(tokens.cost(name)) * scale,
            "cost_batched_usd": float(tokens.cost(name, batch=True)) * scale,
        }
        figures[mode] = per_day
        print(
            f"{mode:>4} of a {DAY_SIZE:,}-paper day to {name}: {per_day['papers']:,} papers, "
            f"{per_day['requests']} requests, {per_day['input_tokens']:,} input and "
            f"{per_day['output_tokens']:,} output tokens, ${per_day['cost_usd']:.4f} plain, "
            f"${per_day['cost_batched_usd']:.4f} batched"
        )
    print(
        f"held_out={len(held_out)} macro_f1={scores.macro_f1:.4f} "
        f"min_category_f1={weakest.f1:.4f} min_category={weakest.slug} "
        f"below={below} hard_share={share:.3f} "
        f"hard_local_accuracy={accuracy(hard):.3f} other_local_accuracy={accuracy(easy):.3f} "
        + " ".join(
            f"{mode}_{key}={value:.4f}" if isinstance(value, float) else f"{mode}_{key}={value}"
            for mode, per_day in figures.items()
            for key, value in per_day.items()
        )
    )


if __name__ == "__main__":
    main()
