// Draw an uploaded (refused) diagram with bpmn-js and mark the elements the validation complained about.
(function () {
  var el = document.getElementById("diagram");
  if (!el || !el.hasAttribute("data-source") || !window.BpmnJS) { return; }
  var marks = JSON.parse(el.getAttribute("data-markers") || "{}");
  var viewer = new window.BpmnJS({ container: el });
  viewer.importXML(el.getAttribute("data-source"))
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      (marks.overdue || []).forEach(function (id) {
        if (registry.get(id)) { canvas.addMarker(id, "tb-overdue"); }
      });
      el.setAttribute("data-ready", "1");
    })
    .catch(function () {
      el.textContent = el.getAttribute("data-error") || "Diagrammet kunne ikke vises.";
      el.setAttribute("data-ready", "error");
    });
})();
