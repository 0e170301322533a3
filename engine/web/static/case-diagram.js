// Draw the case's process with bpmn-js (served locally) and mark what is open, done and overdue.
// #14: the drawing fills the width; a wide routine is not shrunk to unreadable labels but shown at
// a readable size around what is happening now, with buttons to zoom, show all, and go back to now
// (drag to pan, Ctrl + scroll to zoom: bpmn-js's navigated viewer).
(function () {
  var el = document.getElementById("diagram");
  if (!el || !window.BpmnJS) { return; }
  var marks = JSON.parse(el.getAttribute("data-markers") || "{}");
  var viewer = new window.BpmnJS({ container: el });
  var READABLE = 0.8;     // below this the 12 px labels of a BPMN drawing are under ~10 px
  fetch(el.getAttribute("data-xml"), { credentials: "same-origin" })
    .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      [["done", "tb-done"], ["current", "tb-current"], ["overdue", "tb-overdue"]].forEach(function (pair) {
        (marks[pair[0]] || []).forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, pair[1]); }
        });
      });
      var now = (marks.current || []).concat(marks.overdue || []).filter(function (id) { return registry.get(id); });
      function showNow() {
        if (!now.length) { canvas.zoom("fit-viewport", "auto"); return; }
        var e = registry.get(now[0]);
        canvas.zoom(1);
        var vb = canvas.viewbox();
        canvas.viewbox({ x: e.x + e.width / 2 - vb.width / 2, y: e.y + e.height / 2 - vb.height / 2,
                         width: vb.width, height: vb.height });
      }
      canvas.zoom("fit-viewport", "auto");
      if (canvas.zoom() < READABLE && now.length) { showNow(); }
      var tools = document.getElementById("diagram-tools");
      if (tools) {
        tools.hidden = false;
        tools.addEventListener("click", function (ev) {
          var kind = ev.target && ev.target.getAttribute("data-zoom");
          if (kind === "in") { canvas.zoom(canvas.zoom() * 1.25); }
          else if (kind === "out") { canvas.zoom(canvas.zoom() / 1.25); }
          else if (kind === "fit") { canvas.zoom("fit-viewport", "auto"); }
          else if (kind === "now") { showNow(); }
          el.setAttribute("data-zoom", String(Math.round(canvas.zoom() * 100) / 100));
        });
      }
      el.setAttribute("data-zoom", String(Math.round(canvas.zoom() * 100) / 100));
      el.setAttribute("data-ready", "1");
    })
    .catch(function () {
      el.textContent = el.getAttribute("data-error") || "Diagrammet kunne ikke vises.";
      el.setAttribute("data-ready", "error");
    });
})();
