// Draw the case's process with bpmn-js (served locally) and mark what is open, done and overdue.
(function () {
  var el = document.getElementById("diagram");
  if (!el || !window.BpmnJS) { return; }
  var marks = JSON.parse(el.getAttribute("data-markers") || "{}");
  var viewer = new window.BpmnJS({ container: el });
  fetch(el.getAttribute("data-xml"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      [["done", "tb-done"], ["current", "tb-current"], ["overdue", "tb-overdue"]].forEach(function (pair) {
        (marks[pair[0]] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
        });
      });
      el.setAttribute("data-ready", "1");
    })
    .catch(function () {
      el.textContent = el.getAttribute("data-error") || "Diagrammet kunne ikke vises.";
      el.setAttribute("data-ready", "error");
    });
})();
