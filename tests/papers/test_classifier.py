"""The local classifier: labelled data, the date split, the shipped artefact, training,
versions and metrics."""

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


def write_sample(path):
    """A small labels file cut from the shipped labels: per category, the first four random
    papers of the training months and the first two of the held-out months, with their dates."""
    chosen, taken = [], {}
    for example in labelled.shipped():
        if example.sample != "random":
            continue
        side = labelled.is_held_out(example)
        key = (example.label, side)
        if taken.get(key, 0) < (2 if side else 4):
            taken[key] = taken.get(key, 0) + 1
            chosen.append(example)
    path.write_text(
        "".join(
            json.dumps(
                {
                    "arxiv_id": e.arxiv_id,
                    "title": e.title,
                    "abstract": e.abstract,
                    "categories": list(e.categories),
                    "label": e.label,
                    "listed": e.listed,
                    "sample": e.sample,
                }
            )
            + "\n"
            for e in chosen
        )
    )
    return path


@pytest.fixture(scope="session")
def sample_path(tmp_path_factory):
    return write_sample(tmp_path_factory.mktemp("labels") / "sample.jsonl")


@pytest.fixture
def shipped_model(settings, tmp_path):
    """The newest artefact the repository ships, copied so a test cannot change it."""
    newest = max(local.artefacts(SHIPPED_MODELS).items())[1]
    shutil.copy(newest, tmp_path / newest.name)
    settings.DIGEST_CLASSIFIER_DIR = tmp_path
    return local.load(tmp_path / newest.name)


@pytest.fixture
def sample(sample_path):
    return labelled.read(sample_path)


def texts(examples):
    return [(e.title, e.abstract, e.categories) for e in examples]


def test_the_shipped_labels_cover_the_taxonomy_and_every_paper_once():
    examples = labelled.shipped()
    assert len(examples) >= 9000
    assert len({e.arxiv_id for e in examples}) == len(examples)
    assert {e.label for e in examples} == set(rules.SLUGS)
    assert all(e.title and e.abstract for e in examples)
    assert all("\n" not in e.abstract for e in examples)
    assert all(len(e.listed) >= 7 for e in examples)  # every paper has a listing month


def test_the_date_split_puts_no_listing_date_on_both_sides():
    training, held_out = labelled.split(labelled.shipped())
    assert {e.listed for e in training}.isdisjoint({e.listed for e in held_out})
    assert {e.month for e in held_out} == {"2026-05", "2026-06", "2026-07", "2026-08"}
    assert max(e.month for e in training) < labelled.HELD_OUT_FROM <= min(e.month for e in held_out)
    assert len(labelled.random_sample(held_out)) >= 1000
    # The older files (no `listed` field) all train: their dates come from the file or the id.
    older = [e for e in training if not e.sample]
    assert len(older) == 1323 and max(e.month for e in older) == "2025-07"


def test_an_editor_decision_overrides_the_shipped_label_and_keeps_its_side(sample):
    held = next(e for e in sample if labelled.is_held_out(e))
    first = sample[0]
    decisions = [
        labelled.Example(first.arxiv_id, first.title, first.abstract, (), "robotics"),
        labelled.Example(held.arxiv_id, held.title, held.abstract, (), "robotics"),
        labelled.Example("2601.00001", "A new paper", "About robots.", (), "robotics"),
    ]
    merged = {e.arxiv_id: e for e in labelled.merge(sample, decisions)}
    assert len(merged) == len(sample) + 1
    assert merged[first.arxiv_id].label == merged[held.arxiv_id].label == "robotics"
    assert labelled.is_held_out(merged[held.arxiv_id])  # still held out, with its date
    assert not labelled.is_held_out(merged["2601.00001"])  # an editor's new paper trains


def test_a_file_without_dates_takes_the_file_name_date_or_the_id_month(tmp_path):
    row = {"title": "T", "abstract": "A", "categories": [], "label": "llm"}
    dated = tmp_path / "arxiv-2026-06-02.jsonl"
    dated.write_text(json.dumps({"arxiv_id": "2606.00001", **row}) + "\n")
    plain = tmp_path / "origin.jsonl"
    plain.write_text(json.dumps({"arxiv_id": "2410.18072", **row}) + "\n")
    assert labelled.read(dated)[0].listed == "2026-06-02"
    assert labelled.read(plain)[0].listed == "2024-10"


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
def test_a_bad_labels_line_is_named_with_its_file_and_line(tmp_path, sample_path, line, message):
    good = sample_path.read_text().splitlines()[0]
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


def test_the_shipped_model_beats_the_rules_on_the_held_out_months(shipped_model):
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
    right = sum(d.slug == e.label for d, e in zip(decisions, sample, strict=True))
    assert right > 0.8 * len(sample)  # learnt


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


def test_bootstrap_intervals_and_calibration_error():
    gold = ["llm"] * 60 + ["nlp"] * 40
    predicted = ["llm"] * 50 + ["nlp"] * 10 + ["nlp"] * 30 + ["llm"] * 10
    intervals = metrics.bootstrap(gold, predicted, rounds=300)
    assert intervals["accuracy"].value == pytest.approx(0.8)
    assert intervals["accuracy"].low < 0.8 < intervals["accuracy"].high
    assert intervals["macro_f1"].low < intervals["macro_f1"].value < intervals["macro_f1"].high
    assert set(intervals) >= {"llm:f1", "nlp:precision", "nlp:recall"}
    # Confidence 0.8 on 80 % right papers is calibrated; 0.99 on them is not.
    right = [True] * 80 + [False] * 20
    assert metrics.calibration_error([0.8] * 100, right) == pytest.approx(0.0)
    assert metrics.calibration_error([0.99] * 100, right) == pytest.approx(0.19)


def test_the_shipped_artefact_loads_and_evaluates_on_a_clean_clone(tmp_path, sample_path):
    """What a new checkout has after `make setup`: the committed code, labels and artefact;
    nothing downloaded, no distill group (the embedding table ships in the repository)."""
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth", "1", f"file://{REPO}", str(clone)],
        check=True,
        timeout=120,
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DIGEST_CLASSIFIER_DIR", "DJANGO_SETTINGS_MODULE"}
    } | {"DEBUG": "1", "HF_HUB_OFFLINE": "1", "NO_NETWORK": "1"}
    command = [sys.executable, "manage.py", "eval_classifier", "--labels", str(sample_path)]
    result = subprocess.run(
        command, cwd=clone, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Evaluating model v")
    assert any(
        line.startswith(f"papers {len(sample_path.read_text().splitlines())}, accuracy")
        for line in lines
    )
    assert lines[-1].startswith("macro-F1 0.")


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
