// Charts of the compliance report (#16). Data comes from each canvas' data-chart attribute (the CSP
// allows no inline script); the same figures are in the table under each chart.
(function () {
  'use strict';
  if (typeof window.Chart === 'undefined') { return; }
  var colours = { on_time: '#1b7f3b', late: '#b58900', missed: '#b00020', open: '#6b7280' };
  document.querySelectorAll('canvas.report-chart').forEach(function (canvas) {
    var spec;
    try { spec = JSON.parse(canvas.getAttribute('data-chart')); } catch (e) { return; }
    new window.Chart(canvas, {
      type: 'bar',
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (s) {
          return { label: s.label, data: s.data, backgroundColor: colours[s.state] || '#1f42aa' };
        })
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true } },
        plugins: { legend: { position: 'bottom' } }
      }
    });
  });
})();
