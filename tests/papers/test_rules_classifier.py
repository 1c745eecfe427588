"""Unit tests for the offline rule classifier, on real papers from the stored sample days."""

import json
import re
from functools import cache

import pytest

from papers.classifiers.rules import SLUGS, Decision, classify
from tests.conftest import REPO

REPO = REPO
DAY = REPO / "data" / "days" / "2025-05-27" / "arxiv.jsonl"
REFERENCE = REPO / "data" / "days" / "2024-11-14" / "reference.json"
TAXONOMY = REPO / "docs" / "taxonomy.md"


@cache
def day_papers() -> dict[str, dict]:
    with DAY.open(encoding="utf-8") as lines:
        return {paper["arxiv_id"]: paper for paper in map(json.loads, lines)}


@cache
def reference_papers() -> list[dict]:
    return json.loads(REFERENCE.read_text(encoding="utf-8"))["papers"]


def classify_day_paper(arxiv_id: str) -> Decision:
    paper = day_papers()[arxiv_id]
    return classify(paper["title"], paper["abstract"], paper["categories"])


def classify_reference_paper(**match: str) -> Decision:
    """Reference papers have no arXiv categories; deeplearn.org ones have no abstract either."""
    ((key, value),) = match.items()
    paper = next(p for p in reference_papers() if (p[key] or "").startswith(value))
    return classify(paper["title"], paper["abstract"] or "", [])


# Papers whose category the taxonomy leaves no doubt about.
CLEAR_CUT_DAY = [
    ("2505.19854", "computer-vision"),  # Sparse2DGS: surface reconstruction, Gaussian splatting
    ("2505.18306", "computer-vision"),  # CTRL-GS: 4D Gaussian splatting
    ("2505.19354", "multimodal"),  # GC-KBVQA: knowledge-based visual question answering
    ("2505.19426", "llm"),  # the role of diversity in in-context learning for LLMs
    ("2505.19293", "llm"),  # 100-LongBench: long-context benchmarks for LLMs
    ("2505.18905", "nlp"),  # a machine translation corpus for Kpelle
    ("2505.20215", "nlp"),  # dependency parsing
    ("2505.19384", "audio"),  # GSA-TTS: zero-shot speech synthesis
    ("2505.20163", "audio"),  # dysarthric speech recognition
    ("2505.19086", "robotics"),  # MaskedManipulator: whole-body loco-manipulation control
    ("2505.18512", "information-retrieval"),  # AcuRank: listwise reranking
    ("2505.19494", "information-retrieval"),  # Anveshana: cross-lingual retrieval benchmark
    ("2505.19249", "ai-for-science"),  # RGC-Bent: radio galaxy classification
    ("2505.20202", "ai-for-science"),  # PathBench: pathology foundation models for oncology
    ("2505.18568", "model-training"),  # pathway protection for continual learning
    ("2505.20254", "safety-ethics"),  # mechanistic interpretability with SAEs
]


@pytest.mark.parametrize(("arxiv_id", "slug"), CLEAR_CUT_DAY)
def test_clear_cut_papers_of_a_day(arxiv_id, slug):
    assert classify_day_paper(arxiv_id).slug == slug


@pytest.mark.parametrize(
    ("arxiv_id", "slug"),
    [
        ("2411.07184", "computer-vision"),  # SAMPart3D: segment any part in 3D objects
        ("2411.08017", "computer-vision"),  # WaLa: 3D generation ("compression" of shapes)
        ("2411.07975", "multimodal"),  # JanusFlow: unified multimodal understanding+generation
    ],
)
def test_clear_cut_papers_of_the_reference_day(arxiv_id, slug):
    assert classify_reference_paper(arxiv_id=arxiv_id).slug == slug


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("SpiDR: A Reconfigurable Digital Compute-in-Memory", "inference-acceleration"),
        ("Transformation-Invariant Learning and Theoretical", "model-training"),
    ],
)
def test_title_alone_is_enough_for_a_clear_paper(title, slug):
    assert classify_reference_paper(title=title).slug == slug


@pytest.mark.parametrize("arxiv_id", ["2505.18556", "2505.19773", "2505.19610"])
def test_jailbreaks_of_language_or_vision_language_models_are_safety(arxiv_id):
    assert classify_day_paper(arxiv_id).slug == "safety-ethics"


@pytest.mark.parametrize("arxiv_id", ["2505.18610", "2505.20276", "2505.20112"])
def test_quantising_or_compressing_an_llm_is_inference_acceleration(arxiv_id):
    assert classify_day_paper(arxiv_id).slug == "inference-acceleration"


@pytest.mark.parametrize("arxiv_id", ["2505.20279", "2505.19091", "2505.19015"])
def test_vision_language_models_are_multimodal_not_vision_or_llm(arxiv_id):
    assert classify_day_paper(arxiv_id).slug == "multimodal"


@pytest.mark.parametrize("arxiv_id", ["2505.19640", "2505.18454"])
def test_reinforcement_learning_for_llm_reasoning_is_llm(arxiv_id):
    assert classify_day_paper(arxiv_id).slug == "llm"


def test_driving_perception_is_vision_and_driving_planning_is_robotics():
    assert classify_day_paper("2505.19692").slug == "computer-vision"  # camera simulation
    assert classify_day_paper("2505.18945").slug == "robotics"  # trajectory planning


@pytest.mark.parametrize("arxiv_id", ["2505.18452", "2505.20201"])
def test_llm_work_for_a_clinical_domain_is_ai_for_science(arxiv_id):
    assert classify_day_paper(arxiv_id).slug == "ai-for-science"


@pytest.mark.parametrize(
    ("arxiv_id", "slug"),
    [("2505.19546", "computer-vision"), ("2505.19436", "llm")],
)
def test_robust_in_a_title_does_not_make_a_paper_safety(arxiv_id, slug):
    assert "Robust" in day_papers()[arxiv_id]["title"]
    assert classify_day_paper(arxiv_id).slug == slug


def test_every_decision_of_a_whole_day_is_valid():
    for arxiv_id in day_papers():
        decision = classify_day_paper(arxiv_id)
        assert decision.slug in SLUGS, arxiv_id
        assert 0.0 <= decision.confidence <= 1.0, arxiv_id
        assert decision.method == "rule"


def test_slugs_are_exactly_those_of_the_taxonomy_document():
    documented = re.findall(r"^\| `([a-z-]+)` \|", TAXONOMY.read_text(encoding="utf-8"), re.M)
    assert sorted(SLUGS) == sorted(documented)
    assert len(SLUGS) == 14


def test_empty_input_falls_back_to_other_with_low_confidence():
    decision = classify("", "", [])
    assert decision.slug == "other"
    assert decision.confidence <= 0.2


def test_unknown_arxiv_codes_are_ignored():
    title = day_papers()["2505.18905"]["title"]
    with_unknown = classify(title, "", ["I.2.7", "68T50 (Primary)", "zz.XX"])
    assert with_unknown == classify(title, "", [])
    assert with_unknown.slug == "nlp"


def test_primary_arxiv_category_outweighs_a_cross_list():
    assert classify("A new method", "", ["cs.CV", "cs.CL"]).slug == "computer-vision"
    assert classify("A new method", "", ["cs.CL", "cs.CV"]).slug == "llm"


def test_confidence_is_lower_when_evidence_is_weak():
    clear = classify_day_paper("2505.19854")
    hint_only = classify("A new method", "", ["cs.CV", "cs.CL"])
    assert clear.confidence > 0.8
    assert hint_only.confidence < 0.3
