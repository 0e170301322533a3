// Draw the versions compared (#18 item 3): the new diagram with added (green) and changed (amber)
// elements marked, the old one with removed (red) elements marked.
(function () {
  if (!window.BpmnJS) { return; }
  ["diff-diagram", "diff-old-diagram"].forEach(function (id) {
    var el = document.getElementById(id);
    if (!el) { return; }
    var marks = JSON.parse(el.getAttribute("data-markers") || "{}");
    var viewer = new window.BpmnJS({ container: el });
    viewer.importXML(el.getAttribute("data-source")).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport");
      Object.keys(marks).forEach(function (elementId) {
        var kind = marks[elementId];
        var wanted = id === "diff-old-diagram" ? kind === "removed" : kind !== "removed";
        if (wanted && registry.get(elementId)) { canvas.addMarker(elementId, "tb-diff-" + kind); }
      });
      el.setAttribute("data-ready", "1");
    }).catch(function () { el.setAttribute("data-ready", "error"); });
  });
})();
