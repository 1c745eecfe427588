"""What every feed of papers says of each paper (the category feeds, search, followers' feeds)."""


class PaperItems:
    """A paper as a feed item: its title, its arXiv page, and arXiv's own identifier as the GUID
    (`oai:arXiv.org:<id>`); a paper without an arXiv id is identified by its URL, a permalink.
    Mixed in before the feed class; each feed says when its items were published and updated."""

    def item_title(self, paper):
        return paper.title

    def item_link(self, paper):
        return paper.abs_url

    def item_guid(self, paper):
        return f"oai:arXiv.org:{paper.arxiv_id}" if paper.arxiv_id else paper.abs_url

    def item_guid_is_permalink(self, paper):
        return not paper.arxiv_id

    def item_categories(self, paper):
        return [paper.category.name] if paper.category else []
