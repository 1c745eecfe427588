// The day page without page loads: an anchor into a collapsed part (a category's whole summary
// or its paper list) opens it, and a category's papers sort by popularity or date in place.
// Without this script every part still opens by a click and the lists stay by popularity.
(() => {
  // Open the <details> around the element an address points at, then show the element.
  const reveal = () => {
    const id = decodeURIComponent(location.hash.slice(1));
    const target = id && document.getElementById(id);
    if (!target) return;
    let opened = false;
    for (let node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS" && !node.open) {
        node.open = true;
        opened = true;
      }
    }
    if (opened) target.scrollIntoView();
  };

  const popularity = (item) => [
    Number(item.dataset.upvotes || 0),
    Number(item.dataset.stars || 0),
  ];
  const orders = {
    // Most upvotes first, then most GitHub stars; the server's order breaks ties.
    popularity: (a, b) => {
      const [x, y] = [popularity(a), popularity(b)];
      return y[0] - x[0] || y[1] - x[1] || a.dataset.rank - b.dataset.rank;
    },
    // Newest submission first; arXiv ids grow with submission, so they decide the rest.
    published: (a, b) =>
      (b.dataset.published || "").localeCompare(a.dataset.published || "") ||
      (b.dataset.id || "").localeCompare(a.dataset.id || "", "en", { numeric: true }) ||
      a.dataset.rank - b.dataset.rank,
  };

  const sortable = (group) => {
    const list = group.parentElement.querySelector("ul.papers");
    if (!list) return;
    [...list.children].forEach((item, rank) => {
      item.dataset.rank = rank;
    });
    group.hidden = false;
    group.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-sort]");
      if (!button) return;
      const items = [...list.children].sort(orders[button.dataset.sort]);
      list.append(...items);
      for (const other of group.querySelectorAll("button")) {
        other.setAttribute("aria-pressed", String(other === button));
      }
    });
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll(".all-papers .sort").forEach(sortable);
    reveal();
  });
  window.addEventListener("hashchange", reveal);
})();
