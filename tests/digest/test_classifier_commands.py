"""train_classifier, eval_classifier and classify: their reports, and bad input refused."""

import re

import pytest
from django.core.management import CommandError, call_command

from digest import pipeline
from papers.classifiers import labelled, local
from papers.models import Category, Paper
from tests.conftest import DEMO_DAY
from tests.papers.test_classifier import (  # noqa: F401 (fixtures)
    sample_path,
    shipped_model,
)


def run(*args) -> list[str]:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_eval_reports_the_shipped_held_out_months(shipped_model):  # noqa: F811
    held_out = labelled.split(labelled.shipped())[1]
    lines = run("eval_classifier")
    assert lines[0] == (
        f"Evaluating model v{shipped_model.version} on the held-out months "
        f"({labelled.HELD_OUT_FROM} on): {len(held_out)} papers"
    )
    assert lines[-1] == f"macro-F1 {shipped_model.held_out['macro_f1']:.4f}"
    assert re.fullmatch(rf"papers {len(held_out)}, accuracy 0\.\d{{4}}", lines[-2])
    table = {line.split()[0]: line.split()[1:] for line in lines[2:16]}
    assert set(table) >= {"llm", "computer-vision", "reinforcement-learning"}
    assert "most frequent confusions (labelled -> predicted):" in lines


def test_eval_of_a_labels_file_never_touches_the_database(shipped_model, sample_path):  # noqa: F811
    # No `db` fixture: pytest-django fails any query made here.
    papers = len(sample_path.read_text().splitlines())
    lines = run("eval_classifier", "--labels", str(sample_path))
    assert lines[0].endswith(f"all papers of {sample_path}: {papers} papers")
    assert re.fullmatch(rf"papers {papers}, accuracy [01]\.\d{{4}}", lines[-2])
    assert re.fullmatch(r"macro-F1 0\.\d{4}", lines[-1])
    rules_lines = run("eval_classifier", "--labels", str(sample_path), "--classifier", "rules")
    assert rules_lines[0].startswith("Evaluating the rule classifier")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "cannot be read"),
        ("", "no labelled papers"),
        ('{"arxiv_id": "1"}\n', r":1: missing title, abstract, categories, label"),
        (
            '{"arxiv_id": "1", "title": "T", "abstract": "A", "categories": [], "label": "x"}\n',
            r":1: label 'x' is not a taxonomy slug",
        ),
    ],
)
def test_eval_refuses_a_bad_labels_file_in_one_line(tmp_path, shipped_model, content, message):  # noqa: F811
    path = tmp_path / "labels.jsonl"
    if content is not None:
        path.write_text(content)
    with pytest.raises(CommandError, match=message):
        run("eval_classifier", "--labels", str(path))


def test_eval_without_a_model_says_what_to_do():
    with pytest.raises(CommandError, match=r"No model artefact .* train_classifier"):
        run("eval_classifier")
    assert run("eval_classifier", "--classifier", "rules")[-1].startswith("macro-F1 0.")


@pytest.mark.django_db
def test_train_adds_a_version_with_editor_decisions(tmp_path, monkeypatch, make_day, sample_path):  # noqa: F811
    monkeypatch.setattr(labelled, "LABELS_DIR", sample_path.parent)
    make_day(5)
    pipeline.run_stage(DEMO_DAY, "ingest")
    paper = Paper.objects.order_by("arxiv_id").first()
    paper.assign_by_editor(Category.objects.get(slug="audio"))
    paper.save()
    output = tmp_path / "models"
    shipped = labelled.read(sample_path)
    known = paper.arxiv_id in {e.arxiv_id for e in shipped}

    lines = run("train_classifier", "--output", str(output))
    assert lines[0].startswith(
        f"{len(shipped)} shipped labels and 1 editor decisions ({int(known)} of them override"
    )
    assert lines[1] == "Training model v1 ..."
    assert re.fullmatch(r"Saved model v1 to .*model-v1\.joblib", lines[-1])
    assert re.fullmatch(r"macro-F1 \d\.\d{4}", lines[-2])
    first = local.load(output / "model-v1.joblib")
    training, held_out = labelled.split(labelled.merge(shipped, labelled.editor_decisions()))
    assert first.training == {"papers": len(training), "shipped": len(shipped), "editor": 1}
    assert first.held_out["papers"] == len(held_out) > 0
    assert paper.arxiv_id in {e.arxiv_id for e in training}  # an editor's new paper trains
    text = (paper.title, paper.abstract, paper.arxiv_categories)
    assert first.predict([text])[0].slug == "audio"  # it learnt the editor's decision

    run("train_classifier", "--output", str(output))
    assert sorted(local.artefacts(output)) == [1, 2]


@pytest.mark.django_db
def test_train_refuses_an_output_that_is_a_file(tmp_path, monkeypatch, sample_path):  # noqa: F811
    monkeypatch.setattr(labelled, "LABELS_DIR", sample_path.parent)
    target = tmp_path / "models"
    target.write_text("")
    with pytest.raises(CommandError, match="is not a folder"):
        run("train_classifier", "--output", str(target))


@pytest.mark.django_db
def test_classify_reports_progress_and_keeps_editor_decisions(make_day, shipped_model):  # noqa: F811
    make_day(40)
    pipeline.run_stage(DEMO_DAY, "ingest")
    editor_paper = Paper.objects.order_by("arxiv_id").first()
    editor_paper.assign_by_editor(Category.objects.get(slug="audio"))
    editor_paper.save()

    lines = run("classify", DEMO_DAY.isoformat())
    assert lines[0] == (
        f"Classifying the 40 papers of {DEMO_DAY} with the local model v{shipped_model.version}"
    )
    assert re.fullmatch(
        r"  39 classified, 39 changed, 1 kept \(editor or imported\), \d+ below the review "
        r"threshold, in \d+\.\d\d s",
        lines[1],
    )
    assert sum(int(line.split()[-1]) for line in lines[2:-1]) == 40
    assert lines[-1] == f"Classified {DEMO_DAY}"
    assert Paper.objects.filter(category_method="model").count() == 39
    editor_paper.refresh_from_db()
    assert (editor_paper.category.slug, editor_paper.category_method) == ("audio", "editor")

    again = run("classify", DEMO_DAY.isoformat())
    assert again[1].startswith("  39 classified, 0 changed, 1 kept")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("date", "message"),
    [
        ("2025-02-30", "expected YYYY-MM-DD"),
        ("2999-01-01", "in the future"),
        ("2025-05-27", "run ingest first"),
    ],
)
def test_classify_refuses_bad_dates_in_one_line(date, message):
    with pytest.raises(CommandError, match=message):
        run("classify", date)
    assert not Paper.objects.exists()
