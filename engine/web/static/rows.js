// «Legg til» and «Fjern» on a list of rows without reloading the page (#14).  Progressive
// enhancement: the buttons are submit buttons the server understands (add:/remove:), so without
// JavaScript the page still works; with it, a new row is cloned from the <template> the server drew
// for the list (its fields named with the placeholder __NY__) and a removed row simply leaves the form.
(function () {
  function rowsOf(set) {
    return Array.prototype.filter.call(set.children, function (c) { return c.matches("fieldset.row"); });
  }
  function renumber(set, title) {
    rowsOf(set).forEach(function (row, i) {
      var legend = row.querySelector(":scope > legend");
      if (legend) { legend.textContent = title + " " + (i + 1); }
    });
  }
  document.addEventListener("click", function (ev) {
    var button = ev.target.closest ? ev.target.closest("button[name='_handling']") : null;
    if (!button) { return; }
    var value = button.value || "";
    if (value.indexOf("add:") === 0) {
      var id = "f-" + value.slice(4).replace(/\//g, "-");
      var tpl = document.getElementById(id + "-ny");
      var set = document.getElementById(id);
      if (!tpl || !set) { return; }
      ev.preventDefault();
      var rows = rowsOf(set);
      var next = Number(set.getAttribute("data-next") || rows.length);
      while (document.getElementById(id + "-" + next)) { next += 1; }
      var html = tpl.innerHTML.split("__NY__").join(String(next)).split("__NR__").join(String(rows.length + 1));
      var holder = document.createElement("div");
      holder.innerHTML = html;
      var row = holder.querySelector("fieldset.row");
      var empty = set.querySelector(":scope > p.no-rows");
      if (empty) { empty.remove(); }
      set.insertBefore(row, button);
      set.setAttribute("data-next", String(next + 1));
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) { first.focus(); }
    } else if (value.indexOf("remove:") === 0) {
      var gone = button.closest("fieldset.row");
      if (!gone || !gone.parentNode) { return; }
      ev.preventDefault();
      var list = gone.parentNode;
      var template = document.getElementById(list.id + "-ny");
      gone.remove();
      if (template) { renumber(list, template.getAttribute("data-title") || ""); }
      var add = list.querySelector(":scope > button[value^='add:']");
      if (add) { add.focus(); }
    }
  });
})();
