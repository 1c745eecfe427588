// Draws the day's category pie from the figure the page embeds; a click jumps to the category.
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("category-chart");
  const data = document.getElementById("category-chart-data");
  if (!box || !data || !window.Plotly) return;
  const figure = JSON.parse(data.textContent);
  window.Plotly.newPlot(box, figure.data, figure.layout, {
    responsive: true,
    displaylogo: false,
  }).then(() => {
    box.on("plotly_click", (event) => {
      const slug = event.points[0].customdata;
      const target = document.getElementById(Array.isArray(slug) ? slug[0] : slug);
      if (target) target.scrollIntoView({ behavior: "smooth" });
    });
  });
});
