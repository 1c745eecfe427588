"""The local classifier: labelled data, the shipped artefact, training, versions and metrics."""

import json
import os
import shutil
import subprocess
import sys

import joblib
import pytest

from papers.classifiers import labelled, local, metrics, rules
from tests.conftest import REPO

SHIPPED_MODELS = REPO / "papers" / "classifiers" / "models"
SAMPLE = REPO / "tests" / "fixtures" / "labels" / "sample.jsonl"


@pytest.fixture
def shipped_model(settings, tmp_path):
    """The newest artefact the repository ships, copied so a test cannot change it."""
    newest = max(local.artefacts(SHIPPED_MODELS).items())[1]
    shutil.copy(newest, tmp_path / newest.name)
    settings.DIGEST_CLASSIFIER_DIR = tmp_path
    return local.load(tmp_path / newest.name)


@pytest.fixture
def sample():
    return labelled.read(SAMPLE)


def texts(examples):
    return [(e.title, e.abstract, e.categories) for e in examples]


def test_the_shipped_labels_cover_the_taxonomy_and_every_paper_once():
    examples = labelled.shipped()
    assert len(examples) == 1323
    assert len({e.arxiv_id for e in examples}) == len(examples)
    assert {e.label for e in examples} == set(rules.SLUGS)
    assert all(e.title and e.abstract for e in examples)
    assert all("\n" not in e.abstract for e in examples)


def test_the_held_out_split_depends_on_the_id_alone():
    training, held_out = labelled.split(labelled.shipped())
    assert (len(training), len(held_out)) == (991, 332)
    relabelled = [labelled.Example(e.arxiv_id, "", "", (), "other") for e in held_out]
    assert labelled.split(relabelled) == ([], relabelled)
    assert labelled.is_held_out("2505.18291") is labelled.is_held_out("2505.18291")


def test_an_editor_decision_overrides_the_shipped_label(sample):
    first = sample[0]
    decision = labelled.Example(first.arxiv_id, first.title, first.abstract, (), "robotics")
    extra = labelled.Example("2601.00001", "A new paper", "About robots.", (), "robotics")
    merged = labelled.merge(sample, [decision, extra])
    assert len(merged) == len(sample) + 1
    assert {e.arxiv_id: e.label for e in merged}[first.arxiv_id] == "robotics"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", r"bad\.jsonl:2: not JSON"),
        ('["a list"]', r"bad\.jsonl:2: expected a JSON object"),
        ('{"arxiv_id": "1", "title": "T", "abstract": ""}', r":2: missing categories, label"),
        (
            '{"arxiv_id": "1", "title": "T", "abstract": "", "categories": "cs", "label": "llm"}',
            r":2: .*categories a list",
        ),
        (
            '{"arxiv_id": "1", "title": "T", "abstract": "", "categories": [], "label": "cats"}',
            r":2: label 'cats' is not a taxonomy slug",
        ),
    ],
)
def test_a_bad_labels_line_is_named_with_its_file_and_line(tmp_path, line, message):
    good = SAMPLE.read_text().splitlines()[0]
    path = tmp_path / "bad.jsonl"
    path.write_text(f"{good}\n{line}\n")
    with pytest.raises(labelled.LabelsError, match=message):
        labelled.read(path, slugs=rules.SLUGS)


def test_the_shipped_model_decides_every_paper_with_a_probability(shipped_model):
    examples = labelled.shipped()[:200]
    decisions = shipped_model.predict(texts(examples))
    assert len(decisions) == 200
    assert {d.method for d in decisions} == {"model"}
    assert set(shipped_model.classes) == set(rules.SLUGS)
    assert all(0 < d.confidence <= 1 for d in decisions)
    # The confidence is the chosen category's probability, the largest of the paper's.
    chances = shipped_model.probabilities(texts(examples[:5]))
    for decision, row in zip(decisions, chances, strict=False):
        assert decision.confidence == round(float(row.max()), 4)
        assert decision.slug == shipped_model.classes[row.argmax()]


def test_the_shipped_model_beats_the_rules_on_the_held_out_split(shipped_model):
    held_out = labelled.split(labelled.shipped())[1]
    gold = [e.label for e in held_out]
    model = metrics.evaluate(gold, [d.slug for d in shipped_model.predict(texts(held_out))])
    baseline = metrics.evaluate(gold, [rules.classify(*t).slug for t in texts(held_out)])
    assert model.macro_f1 == pytest.approx(shipped_model.held_out["macro_f1"], abs=1e-4)
    assert model.macro_f1 > baseline.macro_f1 and model.accuracy > baseline.accuracy


def test_a_retired_category_is_never_chosen(shipped_model):
    examples = [e for e in labelled.shipped() if e.label == "robotics"][:10]
    allowed = set(rules.SLUGS) - {"robotics"}
    decisions = shipped_model.predict(texts(examples), allowed=allowed)
    assert all(d.slug in allowed for d in decisions)
    with pytest.raises(local.ModelError, match="None of the model's categories"):
        shipped_model.predict(texts(examples), allowed={"a-new-category"})


def test_training_saving_and_loading_keep_the_predictions(sample, tmp_path):
    model = local.train(sample, version=7)
    path = local.save(model, tmp_path)
    assert path.name == "model-v7.joblib" and oct(path.stat().st_mode & 0o777) == "0o644"
    loaded = local.latest(tmp_path)
    assert loaded.version == 7 and loaded.classes == model.classes
    decisions = loaded.predict(texts(sample))
    assert decisions == model.predict(texts(sample))
    assert sum(d.slug == e.label for d, e in zip(decisions, sample, strict=True)) > 70  # learnt


def test_the_highest_version_is_the_current_model(sample, settings, tmp_path):
    settings.DIGEST_CLASSIFIER_DIR = tmp_path
    assert local.current() is None
    for version in (1, 3, 2):
        local.save(local.train(sample, version=version), tmp_path)
    (tmp_path / "model-vfinal.joblib").write_text("not ours")
    assert sorted(local.artefacts(tmp_path)) == [1, 2, 3]
    assert local.current().version == 3
    (tmp_path / "model-v3.joblib").unlink()  # rolling back
    assert local.current().version == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"sklearn": "0.1"}, "made with scikit-learn 0.1"),
        ({"features": 0}, "made for other features"),
    ],
)
def test_an_artefact_from_other_code_is_refused(sample, tmp_path, settings, change, message):
    path = local.save(local.train(sample, version=1), tmp_path)
    joblib.dump(joblib.load(path) | change, path)
    with pytest.raises(local.ModelError, match=message):
        local.load(path)
    settings.DIGEST_CLASSIFIER_DIR = tmp_path
    assert local.current() is None  # classification falls back to the rules


def test_a_damaged_artefact_is_refused(tmp_path):
    path = tmp_path / "model-v1.joblib"
    path.write_bytes(b"\x80\x04 not a pickle")
    with pytest.raises(local.ModelError, match="unreadable model artefact"):
        local.load(path)


def test_metrics_per_category_and_confusions():
    gold = ["llm", "llm", "nlp", "audio", "audio"]
    predicted = ["llm", "nlp", "nlp", "audio", "llm"]
    evaluation = metrics.evaluate(gold, predicted)
    rows = {row.slug: row for row in evaluation.rows}
    assert rows["llm"].precision == pytest.approx(0.5) and rows["llm"].recall == pytest.approx(0.5)
    assert rows["nlp"].f1 == pytest.approx(2 / 3) and rows["audio"].f1 == pytest.approx(2 / 3)
    assert evaluation.macro_f1 == pytest.approx((0.5 + 2 / 3 + 2 / 3) / 3)
    assert evaluation.accuracy == pytest.approx(0.6)
    assert sorted(evaluation.confusions) == [("audio", "llm", 1), ("llm", "nlp", 1)]
    assert evaluation.lines()[-1] == f"macro-F1 {evaluation.macro_f1:.4f}"


def test_the_sample_fixture_is_a_slice_of_the_shipped_labels(sample):
    shipped = {e.arxiv_id: e for e in labelled.shipped()}
    assert all(shipped[e.arxiv_id] == e for e in sample)
    assert json.loads(SAMPLE.read_text().splitlines()[0])["label"] in rules.SLUGS


@pytest.mark.django_db
def test_editor_decisions_become_labels_keyed_by_id_or_url(reference_day):
    from papers.models import Category, Paper

    audio = Category.objects.get(slug="audio")
    by_url = Paper.objects.filter(arxiv_id__isnull=True).first()
    by_id = Paper.objects.get(arxiv_id="2411.07975")
    for paper in (by_url, by_id):
        paper.assign_by_editor(audio)
        paper.save()
    decisions = {e.arxiv_id: e for e in labelled.editor_decisions()}
    assert set(decisions) == {by_url.abs_url, "2411.07975"}
    assert decisions["2411.07975"] == labelled.Example(
        "2411.07975", by_id.title, by_id.abstract, tuple(by_id.arxiv_categories), "audio"
    )


def test_starting_the_site_or_a_worker_loads_no_model_libraries():
    """The model's libraries take seconds to import; they load on the first classification."""
    check = (
        "import sys, django; django.setup(); import config.urls, digest.tasks; "
        "print(sorted({name.split('.')[0] for name in sys.modules} "
        "& {'sklearn', 'joblib', 'scipy', 'numpy'}))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    command = [sys.executable, "-c", check]
    result = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
