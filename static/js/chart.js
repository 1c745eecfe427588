// Draws the figures the page embeds as JSON: the day's category pie (a click on a slice jumps
// to that category's section) and a category's weekly trend.
document.addEventListener("DOMContentLoaded", () => {
  if (!window.Plotly) return;
  const config = { responsive: true, displaylogo: false, displayModeBar: false };

  const draw = (boxId, dataId) => {
    const box = document.getElementById(boxId);
    const data = document.getElementById(dataId);
    if (!box || !data) return null;
    const figure = JSON.parse(data.textContent);
    // On a phone the page's own legend (under the chart) replaces Plotly's.
    if (box.clientWidth < 600) figure.layout.showlegend = false;
    return window.Plotly.newPlot(box, figure.data, figure.layout, config).then(() => box);
  };

  const pie = draw("category-chart", "category-chart-data");
  if (pie) {
    pie.then((box) => {
      box.on("plotly_click", (event) => {
        const slug = event.points[0].customdata;
        const target = document.getElementById(Array.isArray(slug) ? slug[0] : slug);
        if (!target) return;
        target.scrollIntoView({ behavior: "smooth" });
        history.replaceState(null, "", "#" + target.id);
      });
    });
  }
  draw("trend-chart", "trend-chart-data");
});
