"""Stored charts name their categories by id, not by slug (issue 17): an editor who renames a
slug no longer loses the category's papers and summary from published days, the daily feed, the
Markdown export and the trend. Verbose names become translatable (the Korean admin).

A slice whose slug no category has any more (renamed before this migration) is matched through
the day's summaries, whose categories are stored by id; a slice that still cannot be matched is
dropped, as the day page already skipped it (republishing the day recomputes the chart).
"""

from django.db import migrations, models


def slugs_to_ids(apps, schema_editor):
    DailyDigest = apps.get_model("digest", "DailyDigest")
    Category = apps.get_model("papers", "Category")
    CategorySummary = apps.get_model("summaries", "CategorySummary")
    by_slug = dict(Category.objects.values_list("slug", "pk"))
    changed = []
    for digest in DailyDigest.objects.exclude(chart=[]).only("chart").iterator():
        if not any("slug" in s for s in digest.chart):
            continue
        # Summaries of categories renamed earlier: by their stored name, else not at all.
        named = {
            (name, emoji): pk
            for pk, name, emoji in CategorySummary.objects.filter(digest=digest).values_list(
                "category", "category__name", "category__emoji"
            )
        }
        slices = []
        for slice_ in digest.chart:
            if "slug" not in slice_:
                slices.append(slice_)
                continue
            pk = by_slug.get(slice_["slug"]) or named.get((slice_["name"], slice_["emoji"]))
            if pk is not None:
                slices.append({"category": pk, **{k: v for k, v in slice_.items() if k != "slug"}})
        digest.chart = slices
        changed.append(digest)
    DailyDigest.objects.bulk_update(changed, ["chart"], batch_size=200)


def ids_to_slugs(apps, schema_editor):
    DailyDigest = apps.get_model("digest", "DailyDigest")
    Category = apps.get_model("papers", "Category")
    by_pk = dict(Category.objects.values_list("pk", "slug"))
    changed = []
    for digest in DailyDigest.objects.exclude(chart=[]).only("chart").iterator():
        if not any("category" in s for s in digest.chart):
            continue
        digest.chart = [
            {"slug": by_pk[s["category"]], **{k: v for k, v in s.items() if k != "category"}}
            if "category" in s
            else s
            for s in digest.chart
            if "category" not in s or s["category"] in by_pk
        ]
        changed.append(digest)
    DailyDigest.objects.bulk_update(changed, ["chart"], batch_size=200)


class Migration(migrations.Migration):

    dependencies = [
        ('digest', '0002_digest_completeness_no_announcement'),
        ('papers', '0007_previous_slugs_runner_up_verbose_names'),
        ('summaries', '0004_search_vector'),
    ]

    operations = [
        migrations.RunPython(slugs_to_ids, ids_to_slugs),
        migrations.AlterModelOptions(
            name='dailydigest',
            options={'get_latest_by': 'date', 'ordering': ['-date'], 'verbose_name': 'daily digest', 'verbose_name_plural': 'daily digests'},
        ),
        migrations.AlterModelOptions(
            name='pipelinerun',
            options={'ordering': ['-started_at'], 'verbose_name': 'pipeline run', 'verbose_name_plural': 'pipeline runs'},
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='announced_cross',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='announced cross-lists'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='announced_new',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='announced new'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='announced_replace',
            field=models.PositiveIntegerField(blank=True, null=True, verbose_name='announced replacements'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='approximate',
            field=models.BooleanField(default=False, help_text="Listed from submission dates (a backfill), not from arXiv's announcement.", verbose_name='approximate'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='chart',
            field=models.JSONField(blank=True, default=list, help_text='Category distribution computed at publish time.', verbose_name='chart'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='created_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='created at'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='date',
            field=models.DateField(help_text='The arXiv announcement date.', unique=True, verbose_name='date'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='listing',
            field=models.JSONField(blank=True, default=list, help_text='The listing as [arXiv id, version, kind] rows, kept so that an interrupted ingest resumes after rss.arxiv.org has moved on.', verbose_name='listing'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='papers',
            field=models.ManyToManyField(blank=True, related_name='digests', to='papers.paper', verbose_name='papers'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='published_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='published at'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='status',
            field=models.CharField(choices=[('pending', 'Pending'), ('ingested', 'Ingested'), ('classified', 'Classified'), ('summarised', 'Summarised'), ('published', 'Published'), ('no_announcement', 'No announcement')], default='pending', max_length=16, verbose_name='status'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='stored_cross',
            field=models.PositiveIntegerField(default=0, verbose_name='stored cross-lists'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='stored_new',
            field=models.PositiveIntegerField(default=0, verbose_name='stored new'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='stored_replace',
            field=models.PositiveIntegerField(default=0, verbose_name='stored replacements'),
        ),
        migrations.AlterField(
            model_name='dailydigest',
            name='updated_at',
            field=models.DateTimeField(auto_now=True, verbose_name='updated at'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='counts',
            field=models.JSONField(blank=True, default=dict, verbose_name='counts'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='date',
            field=models.DateField(verbose_name='date'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='error',
            field=models.TextField(blank=True, verbose_name='error'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='finished_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='finished at'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='stage',
            field=models.CharField(choices=[('ingest', 'Ingest'), ('classify', 'Classify'), ('summarise', 'Summarise'), ('publish', 'Publish')], max_length=10, verbose_name='stage'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='started_at',
            field=models.DateTimeField(auto_now_add=True, verbose_name='started at'),
        ),
        migrations.AlterField(
            model_name='pipelinerun',
            name='status',
            field=models.CharField(choices=[('running', 'Running'), ('succeeded', 'Succeeded'), ('failed', 'Failed')], default='running', max_length=10, verbose_name='status'),
        ),
    ]
