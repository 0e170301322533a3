// Draw the case's process with bpmn-js (served locally) and mark what is open, done and overdue.
// #14: the drawing fills the width; a wide routine is not shrunk to unreadable labels but shown at
// a readable size around what is happening now, with buttons to zoom, show all, and go back to now
// (drag to pan, Ctrl + scroll to zoom: bpmn-js's navigated viewer).
// #14 item 5: drill-down.  The server sends every process of the case's version (the main one and
// those it calls) with its own markers and the due dates of its steps; a call activity opens the
// process it calls (a click on it in the drawing, or its button under the drawing), a path above
// the drawing leads back, and «Vis oppgaven inni …» goes straight to where the open task is.
(function () {
  var el = document.getElementById("diagram");
  if (!el || !window.BpmnJS) { return; }
  var info = JSON.parse(el.getAttribute("data-diagrams") || "null");
  var legacy = JSON.parse(el.getAttribute("data-markers") || "{}");
  var viewer = new window.BpmnJS({ container: el });
  var READABLE = 0.8;     // below this the 12 px labels of a BPMN drawing are under ~10 px
  var base = el.getAttribute("data-xml");
  var path = [info ? info.main : null];
  var canvas = null, registry = null, now = [];

  function proc(key) { return (info && info.processes[key]) || { name: key, markers: legacy, due: {} }; }

  function showNow() {
    if (!now.length) { canvas.zoom("fit-viewport", "auto"); return; }
    var e = registry.get(now[0]);
    canvas.zoom(1);
    var vb = canvas.viewbox();
    canvas.viewbox({ x: e.x + e.width / 2 - vb.width / 2, y: e.y + e.height / 2 - vb.height / 2,
                     width: vb.width, height: vb.height });
  }

  function button(text, onclick, attrs) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "small secondary";
    b.textContent = text;
    Object.keys(attrs || {}).forEach(function (k) { b.setAttribute(k, attrs[k]); });
    b.addEventListener("click", onclick);
    return b;
  }

  // The path from the main process to the one shown: earlier steps are buttons, the last is text.
  function drawPath() {
    var nav = document.getElementById("diagram-path");
    if (!nav || !info) { return; }
    var ol = nav.querySelector("ol");
    ol.textContent = "";
    path.forEach(function (key, i) {
      var li = document.createElement("li");
      var name = i === 0 ? el.getAttribute("data-main-label") + ": " + proc(key).name : proc(key).name;
      if (i < path.length - 1) {
        li.appendChild(button(name, function () { open(path.slice(0, i + 1)); }, { "data-path": key }));
      } else {
        var span = document.createElement("span");
        span.setAttribute("aria-current", "location");
        span.textContent = name;
        li.appendChild(span);
      }
      ol.appendChild(li);
    });
    nav.hidden = path.length < 2;
  }

  // One button per call activity of the drawing whose process the page knows, open work first.
  function drawCalls() {
    var box = document.getElementById("diagram-calls");
    if (!box || !info) { return; }
    var ul = box.querySelector("ul");
    ul.textContent = "";
    var current = proc(path[path.length - 1]).markers.current || [];
    var ids = Object.keys(info.calls).filter(function (id) { return registry.get(id) && info.processes[info.calls[id]]; });
    ids.sort(function (a, b) { return (current.indexOf(b) >= 0) - (current.indexOf(a) >= 0); });
    ids.forEach(function (id) {
      var li = document.createElement("li");
      var label = el.getAttribute("data-open-label") + " «" + proc(info.calls[id]).name + "»";
      li.appendChild(button(label, function () { open(path.concat([info.calls[id]])); },
                            { "data-call": id, "data-process": info.calls[id] }));
      ul.appendChild(li);
    });
    box.hidden = ids.length === 0;
  }

  function mark(key) {
    var p = proc(key);
    [["done", "tb-done"], ["current", "tb-current"], ["overdue", "tb-overdue"]].forEach(function (pair) {
      (p.markers[pair[0]] || []).forEach(function (id) { if (registry.get(id)) { canvas.addMarker(id, pair[1]); } });
    });
    Object.keys((info && info.calls) || {}).forEach(function (id) {
      if (registry.get(id) && info.processes[info.calls[id]]) { canvas.addMarker(id, "tb-call"); }
    });
    // Deadlines on the drawing: the last day under each step that has one (text, not colour alone).
    var overlays = viewer.get("overlays");
    Object.keys(p.due || {}).forEach(function (id) {
      var e = registry.get(id);
      if (!e) { return; }
      var tag = document.createElement("span");
      tag.className = "tb-due" + ((p.markers.overdue || []).indexOf(id) >= 0 ? " late" : "");
      tag.textContent = p.due[id];
      tag.setAttribute("data-due-for", id);
      overlays.add(id, "tb-due", { position: { bottom: 14, left: 0 }, html: tag });
    });
    now = (p.markers.current || []).concat(p.markers.overdue || []).filter(function (id) { return registry.get(id); });
  }

  function load(key) {
    var url = key && info && key !== info.main ? base + "?prosess=" + encodeURIComponent(key) : base;
    el.setAttribute("data-ready", "0");
    return fetch(url, { credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.text(); })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        canvas = viewer.get("canvas");
        registry = viewer.get("elementRegistry");
        mark(key);
        canvas.zoom("fit-viewport", "auto");
        if (canvas.zoom() < READABLE && now.length) { showNow(); }
        el.setAttribute("data-process", key || "");
        el.setAttribute("data-zoom", String(Math.round(canvas.zoom() * 100) / 100));
        drawPath();
        drawCalls();
        el.setAttribute("data-ready", "1");
      });
  }

  function open(newPath) {
    path = newPath;
    return load(path[path.length - 1]).catch(fail);
  }

  function fail() {
    el.textContent = el.getAttribute("data-error") || "Diagrammet kunne ikke vises.";
    el.setAttribute("data-ready", "error");
  }

  viewer.get("eventBus").on("element.click", function (ev) {
    var id = ev.element && ev.element.id;
    if (info && info.calls[id] && info.processes[info.calls[id]]) { open(path.concat([info.calls[id]])); }
  });

  var tools = document.getElementById("diagram-tools");
  if (tools) {
    tools.addEventListener("click", function (ev) {
      var t = ev.target;
      if (!t || !canvas) { return; }
      var kind = t.getAttribute("data-zoom");
      if (kind === "in") { canvas.zoom(canvas.zoom() * 1.25); }
      else if (kind === "out") { canvas.zoom(canvas.zoom() / 1.25); }
      else if (kind === "fit") { canvas.zoom("fit-viewport", "auto"); }
      else if (kind === "now") { showNow(); }
      else if (t.getAttribute("data-drill") === "now" && info) { open(info.now.slice()); return; }
      el.setAttribute("data-zoom", String(Math.round(canvas.zoom() * 100) / 100));
    });
  }

  load(path[0]).then(function () { if (tools) { tools.hidden = false; } }).catch(fail);
})();
