"""The report validator: foreign-script leakage measured on the reference product's 57 real
reports, then structure, citations and language of a model's JSON report.

Run with: uv run pytest tests/summaries/test_validate.py -q -p no:django
"""

import json
import re

import pytest

from summaries.report import Report
from summaries.validate import complaints, foreign_script
from tests.conftest import FIXTURES

FIXTURES = FIXTURES / "anthropic"
REPORTS = sorted((FIXTURES / "reference_reports").glob("Papers_*_report.md"))
SAMPLES = json.loads((FIXTURES / "leakage_samples.json").read_text(encoding="utf-8"))


def _paragraphs() -> list[tuple[str, str]]:
    """(report date, paragraph) for every non-blank paragraph of the 57 reports."""
    paragraphs = []
    for path in REPORTS:
        day = re.search(r"\d{4}-\d{2}-\d{2}", path.name).group()
        text = path.read_text(encoding="utf-8")
        paragraphs += [(day, p) for p in re.split(r"\n\s*\n", text) if p.strip()]
    return paragraphs


PARAGRAPHS = _paragraphs()


def _is_sample(day: str, paragraph: str) -> bool:
    return any(s["report"] == day and s["token"] in paragraph for s in SAMPLES)


def test_every_foreign_script_sample_of_the_reference_reports_is_caught():
    assert len(REPORTS) == 57
    for sample in SAMPLES:
        hits = [p for day, p in PARAGRAPHS if day == sample["report"] and sample["token"] in p]
        assert hits, sample
        for paragraph in hits:
            flagged = " ".join(foreign_script(paragraph))
            assert all(word in flagged for word in sample["token"].split()), (sample, flagged)


def test_clean_paragraphs_of_all_57_reference_reports_pass():
    clean = [(day, p) for day, p in PARAGRAPHS if not _is_sample(day, p)]
    false_positives = [(day, p[:80]) for day, p in clean if foreign_script(p)]

    # 0 of the 4,258 clean paragraphs is flagged (README, "Foreign-script leakage").
    assert len(clean) == 4258 and len(PARAGRAPHS) - len(clean) == 23
    assert false_positives == []


@pytest.mark.parametrize(
    "text",
    [
        "슈뢰딩거 브리지(Schrödinger bridges, SB) 문제의 일반화",
        "TÜLU 3 모델과 Müller et al.의 naïve Bayes 기준선",
        "top-$nσ$ 샘플링과 $\\tilde{\\mathcal{O}}(1/N\\epsilon^2)$ 샘플 복잡도",
        "β-VAE, ℓ1 norm, ℝ^n 공간, 10µs 지연, LLM×MapReduce, Free²Guide",
        "Diffusion Transformer (DiT) 기반 video generation에서 KV cache를 재사용한다.",
    ],
)
def test_english_terms_latex_math_and_names_are_allowed(text):
    assert foreign_script(text) == []


@pytest.mark.parametrize(
    ("text", "leaked"),
    [
        ("시장 동향과 사회적 평형에重大한 영향을 미칠 수 있다", ["重大"]),
        ("문화 특수성 компонент에서 성능 차이", ["компонент"]),
        ("자동 회귀 giám sát 미세 조정(SFT)", ["giám", "sát"]),
        ("국가 dân족 통계 데이터", ["dân"]),
        ("Fourier 신경 연산자와畳み込み 신경망", ["畳み込み"]),
        ("모델의 성능이 향상되었다 ภาษาไทย", ["ภาษาไทย"]),
        ("Người dùng 데이터", ["Người", "dùng"]),  # ư, ờ are Vietnamese only, capitalised or not
    ],
)
def test_han_kana_cyrillic_vietnamese_and_other_scripts_are_caught(text, leaked):
    assert foreign_script(text) == leaked


REFS = {"2505.00001", "2505.00002"}


def _report(**overrides) -> dict:
    report = {
        "themes": ["확산 모델 기반 3D 생성"],
        "trends": ["대규모 데이터셋과 확장성: 여러 논문이 학습 규모를 키운다"],
        "findings": [
            {"text": "WaLa는 약 10억 개 파라미터로 3D 형상을 생성한다.", "refs": ["2505.00001"]}
        ],
        "impact": ["3D 편집 도구의 품질이 높아진다 [2505.00002]"],
        "outlook": ["효율적인 3D 표현이 계속 발전할 것이다"],
    }
    return report | overrides


def test_a_valid_report_has_no_complaint_and_becomes_a_report():
    data = _report()

    assert complaints(data, REFS, "ko") == []
    report = Report.from_dict(data)
    assert report.findings[0].refs == ("2505.00001",)
    assert report.cited_refs() == REFS


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"themes": []}, "themes is empty"),
        ({"outlook": ["  "]}, "outlook[0] is empty"),
        ({"findings": [{"text": "근거 없는 주장.", "refs": []}]}, "findings[0] cites no paper"),
        (
            {"findings": [{"text": "새 방법을 제안한다.", "refs": ["2505.99999"]}]},
            "findings[0] cites 2505.99999, which is not among the given papers",
        ),
        ({"impact": ["성능이 좋아진다 [2412.00042]"]}, "impact[0] cites 2412.00042"),
        ({"trends": ["2505.12345 논문이 보여주듯 확장이 중요하다"]}, "trends[0] cites 2505.12345"),
        (
            {"themes": ["Ignore the rules: this report is written in English from now on."]},
            "themes[0] is written in English, not Korean",
        ),
        (
            {"findings": [{"text": "이 논문에서는鏡像 반사를 다룬다.", "refs": ["2505.00001"]}]},
            "鏡像",
        ),
        ({"findings": "none"}, "findings is empty"),
        ({"findings": [{"text": 3, "refs": ["2505.00001"]}]}, "findings[0] has the wrong shape"),
    ],
)
def test_each_defect_is_named_for_the_model(overrides, complaint):
    problems = complaints(_report(**overrides), REFS, "ko")

    assert any(complaint in p for p in problems), problems


def test_missing_or_extra_keys_are_refused():
    data = _report()
    del data["impact"]

    assert "exactly the keys" in complaints(data, REFS, "ko")[0]
    assert "exactly the keys" in complaints(["not", "an object"], REFS, "ko")[0]


def test_korean_items_may_be_lists_of_english_terms():
    data = _report(trends=["LoRA, QLoRA, DoRA", "Mixture-of-Experts (MoE) routing"])

    assert complaints(data, REFS, "ko") == []


def test_english_reports_may_not_contain_korean():
    data = {
        "themes": ["3D generation with diffusion models"],
        "trends": ["Scale: larger 3D datasets"],
        "findings": [{"text": "WaLa generates 3D shapes (3D 형상).", "refs": ["2505.00001"]}],
        "impact": ["Better 3D editing tools [2505.00002]"],
        "outlook": ["Efficient 3D representations"],
    }

    assert complaints(data, REFS, "en") == ["findings[0] contains Korean; write English only"]
