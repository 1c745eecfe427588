"""What one day of Claude summaries costs: the bundled 649-paper day (2025-05-27), offline.

Builds the exact requests the summarise stage would send (papers sorted into categories by the
rule classifier, the featured papers chosen as in production, the real prompts), and estimates
their tokens without a tokenizer (summaries.prompts.estimate_tokens: Hangul at 1.23 characters
a token, other text at 3.26, from published Claude counts scaled to the newer tokenizer; expect
+-30%). The output of each request is estimated from the reference product's real Korean
category reports (their mean length) plus the JSON keys; thinking tokens are not counted.
Prices are settings.ANTHROPIC_PRICES for ANTHROPIC_SUMMARY_MODEL.

The papers' one-line TL;DRs (summaries/briefs.py) are costed the same way for a 1,500-paper day
(the bundled day's papers, repeated): the exact requests, ANTHROPIC_BRIEF_CHUNK papers each, for
ANTHROPIC_BRIEF_MODEL; each TL;DR's output counted at the 120 characters the prompt allows (an
upper bound).

Run: DEBUG=1 uv run python bench/llm_cost.py
"""

import importlib
import json
import os
import re
import statistics
import sys
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402

from llm.client import Usage  # noqa: E402
from papers.classifiers.rules import classify  # noqa: E402
from summaries import brief_prompts, prompts  # noqa: E402
from summaries.report import SummaryInput  # noqa: E402
from summaries.selection import select_featured  # noqa: E402

DAY = REPO / "data" / "days" / "2025-05-27" / "arxiv.jsonl"
REPORTS = REPO / "tests" / "fixtures" / "anthropic" / "reference_reports"
TAXONOMY = importlib.import_module("papers.migrations.0002_default_taxonomy").TAXONOMY
LANGUAGE = "ko"
BRIEF_DAY = 1500  # papers of a big day, for the TL;DRs


def categories() -> dict[str, list[SummaryInput]]:
    groups = defaultdict(list)
    with open(DAY, encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            slug = classify(row["title"], row["abstract"], row["categories"]).slug
            groups[slug].append(SummaryInput(row["arxiv_id"], row["title"], row["abstract"]))
    return groups


def reference_output_tokens() -> int:
    """Mean tokens of one category's summary in the reference product's 57 real reports."""
    summaries = []
    for path in sorted(REPORTS.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        summaries += re.findall(r"\*\*요약:\*\*(.*?)\*\*출처:\*\*", text, flags=re.DOTALL)
    keys = prompts.estimate_tokens(json.dumps({"themes": [], "findings": [{"refs": []}]}))
    return round(statistics.mean(map(prompts.estimate_tokens, summaries))) + keys


class _Paper:
    def __init__(self, row: dict):
        self.ref, self.title, self.abstract = row["arxiv_id"], row["title"], row["abstract"]


def brief_costs() -> dict:
    """Tokens and cost of the TL;DRs of a 1,500-paper day, in Korean."""
    with open(DAY, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    papers = [_Paper(rows[i % len(rows)]) for i in range(BRIEF_DAY)]
    model = settings.ANTHROPIC_BRIEF_MODEL
    size = settings.ANTHROPIC_BRIEF_CHUNK
    system = prompts.estimate_tokens(brief_prompts.system_prompt(LANGUAGE))
    schema = prompts.estimate_tokens(json.dumps(brief_prompts.SCHEMA))
    # A TL;DR as long as the prompt allows: the example sentence's mix of Hangul and Latin.
    example = brief_prompts._EXAMPLES[LANGUAGE]
    longest = (example * 2)[: brief_prompts.ASK_CHARS[LANGUAGE]]
    plain, cached = Usage(), Usage()
    chunks = [papers[start : start + size] for start in range(0, len(papers), size)]
    for index, chunk in enumerate(chunks):
        user = prompts.estimate_tokens(brief_prompts.user_message(chunk))
        reply = {"briefs": [{"id": paper.ref, "tldr": longest} for paper in chunk]}
        output = prompts.estimate_tokens(json.dumps(reply, ensure_ascii=False))
        plain += Usage(input_tokens=system + schema + user, output_tokens=output)
        cache = {"cache_creation_input_tokens" if index == 0 else "cache_read_input_tokens": system}
        cached += Usage(input_tokens=schema + user, output_tokens=output, **cache)
    costs = {
        "plain": plain.cost(model),
        "cached": cached.cost(model),
        "batched": plain.cost(model, batch=True),
        "batched_cached": cached.cost(model, batch=True),
    }
    print(
        f"\nTL;DRs of a {BRIEF_DAY:,}-paper day, {model}, {size} papers a request: "
        f"{len(chunks)} requests, system prompt {system:,} tokens, input "
        f"{plain.input_tokens:,} tokens, output {plain.output_tokens:,} tokens"
    )
    for name, cost in costs.items():
        print(f"  {name:<15} ${cost:.4f} per day")
    return {
        "brief_papers": BRIEF_DAY,
        "brief_requests": len(chunks),
        "brief_system_tokens": system,
        "brief_input_tokens": plain.input_tokens,
        "brief_output_tokens": plain.output_tokens,
        **{f"brief_cost_{name}_usd": round(float(cost), 4) for name, cost in costs.items()},
    }


def main() -> None:
    model = settings.ANTHROPIC_SUMMARY_MODEL
    system = prompts.estimate_tokens(prompts.system_prompt(LANGUAGE))
    schema = prompts.estimate_tokens(json.dumps(prompts.REPORT_SCHEMA))
    output = reference_output_tokens()
    groups = categories()
    papers = sum(map(len, groups.values()))

    plain, cached = Usage(), Usage()
    everything = 0  # input tokens if every abstract were sent instead of the featured ones
    for index, (slug, members) in enumerate(sorted(groups.items())):
        featured = select_featured(members, limit=settings.DIGEST_FEATURED_PAPERS)
        name, scope = next((t[2], t[5]) for t in TAXONOMY if t[0] == slug)
        user = prompts.estimate_tokens(
            prompts.user_message(name=name, scope=scope, featured=featured, papers=members)
        )
        whole = prompts.user_message(name=name, scope=scope, featured=members, papers=members)
        everything += system + schema + prompts.estimate_tokens(whole)
        plain += Usage(input_tokens=system + schema + user, output_tokens=output)
        # The system prompt is written to the cache once and read by every later request.
        cache = {"cache_creation_input_tokens" if index == 0 else "cache_read_input_tokens": system}
        cached += Usage(input_tokens=schema + user, output_tokens=output, **cache)
        print(f"{slug:<24} {len(members):4d} papers {len(featured):3d} featured {user:6,d} tokens")

    costs = {
        "plain": plain.cost(model),
        "cached": cached.cost(model),
        "batched": plain.cost(model, batch=True),
        "batched_cached": cached.cost(model, batch=True),
    }
    inputs = plain.input_tokens
    print(
        f"\n{papers} papers, {len(groups)} categories, {model}, language {LANGUAGE}: "
        f"system prompt {system:,} tokens, schema {schema:,}, output {output:,} per category"
    )
    print(
        f"input {inputs:,} tokens ({everything:,} if every abstract were sent), "
        f"output {plain.output_tokens:,} tokens per day"
    )
    for name, cost in costs.items():
        print(f"  {name:<15} ${cost:.4f} per day")
    tldr = brief_costs()
    print(
        f"papers={papers} categories={len(groups)} requests={len(groups)} "
        f"input_tokens={inputs} output_tokens={plain.output_tokens} "
        f"all_abstracts_input_tokens={everything} "
        + " ".join(f"cost_{name}_usd={cost:.4f}" for name, cost in costs.items())
        + " "
        + " ".join(f"{key}={value}" for key, value in tldr.items())
    )


if __name__ == "__main__":
    main()
