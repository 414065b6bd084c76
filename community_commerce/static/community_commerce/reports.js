// The report charts (Chart.js, vendored: vendor/chartjs). Each <canvas data-chart="ID"> reads
// its data from the JSON script element ID (Django's json_script). Every chart has a table
// beside it with the same numbers, so nothing depends on this script or on seeing the picture.
(function () {
  "use strict";
  if (typeof Chart === "undefined") { return; }
  var colours = ["#2f6f4f", "#c46a1b", "#3b5b9a", "#8a4f9e", "#a33a3a", "#4f8a8b", "#7a7a2f", "#5c5c5c"];
  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart"));
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var twoAxes = spec.datasets.some(function (d) { return d.yAxisID === "y1"; });
    spec.datasets.forEach(function (d, i) {
      d.backgroundColor = d.type === "line" ? colours[i % colours.length] : colours[i % colours.length] + "cc";
      d.borderColor = colours[i % colours.length];
      d.borderWidth = d.type === "line" ? 2 : 0;
    });
    var scales = { y: { beginAtZero: true } };
    if (twoAxes) {
      scales.y1 = { beginAtZero: true, position: "right", grid: { drawOnChartArea: false }, ticks: { precision: 0 } };
    }
    new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: spec.datasets },
      options: {
        indexAxis: spec.horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1 } },
        scales: spec.horizontal ? { x: { beginAtZero: true, ticks: { precision: 0 } } } : scales
      }
    });
  });
})();
