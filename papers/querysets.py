"""Querysets that read like the domain: `Paper.objects.announced_on(day).in_category(c)`."""

from contextlib import nullcontext

from django.db import connections, models
from django.db.models import Q


class CategoryQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)

    def renamed_from(self, slug: str):
        """The category whose slug `slug` was before an editor changed it, or None. Read only
        when no category has `slug` now (an old link), so scanning the taxonomy is cheap."""
        return next((c for c in self.all() if slug in c.previous_slugs and c.slug != slug), None)


class PaperQuerySet(models.QuerySet):
    def announced_on(self, day):
        return self.filter(announced_on=day)

    def in_category(self, category):
        return self.filter(category=category)

    def machine_assignable(self):
        """Papers a classifier may (re)assign: not decided by an editor, not imported history."""
        return self.exclude(category_method__in=self.model.LOCKED_METHODS)

    def insert(self, papers: list[models.Model]) -> None:
        """`bulk_create(papers)`, through COPY on PostgreSQL: a day's papers are megabytes of
        text, and compiling and quoting them into INSERT statements was a third of storing a
        day (bench/ingest.py). Each paper gets its primary key, as bulk_create gives it."""
        connection = connections[self.db]
        if connection.vendor != "postgresql" or not papers:
            self.bulk_create(papers, batch_size=500)
            return
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        statement = f"COPY {self.model._meta.db_table} ({columns}) FROM STDIN"
        with connection.cursor() as cursor:
            # In the query log like any statement (when queries are logged: DEBUG, tests), and
            # its errors Django's (IntegrityError, OperationalError), which the pipeline judges.
            logged = cursor.debug_sql(statement) if connection.queries_logged else nullcontext()
            errors = connection.wrap_database_errors
            with logged, errors, cursor.cursor.copy(statement) as copy:
                for paper in papers:
                    copy.write_row(
                        [f.get_db_prep_save(f.pre_save(paper, True), connection) for f in fields]
                    )
        ids = [paper.arxiv_id for paper in papers if paper.arxiv_id]
        urls = [paper.abs_url for paper in papers if not paper.arxiv_id]
        keys = self.filter(
            Q(arxiv_id__in=ids) | Q(arxiv_id__isnull=True, abs_url__in=urls)
        ).values_list("arxiv_id", "abs_url", "pk")
        pk_of = {arxiv_id or url: pk for arxiv_id, url, pk in keys}
        for paper in papers:
            paper.pk = pk_of[paper.arxiv_id or paper.abs_url]
            paper._state.adding, paper._state.db = False, self.db
