// @-mentions in the comment box: while a word starting with «@» is typed, offer the people who may
// be mentioned under the chosen sharing (the list the server rendered, #mentionable). Arrow keys
// move, Enter or Tab picks, Escape closes. Without JavaScript the list is still there to read.
(function () {
  "use strict";
  var box = document.getElementById("kommentar");
  var list = document.getElementById("mention-suggestions");
  var people = document.querySelectorAll("#mentionable li");
  var sharing = document.getElementById("deles");
  if (!box || !list) { return; }
  var active = -1;

  function word() {
    var upto = box.value.slice(0, box.selectionStart);
    var m = /(^|[^\w.@])@([\w.-]*)$/.exec(upto);
    return m ? { start: upto.length - m[2].length, text: m[2].toLowerCase() } : null;
  }
  function close() { list.hidden = true; list.textContent = ""; active = -1; box.removeAttribute("aria-activedescendant"); }
  function mark(i) {
    var items = list.querySelectorAll("li");
    items.forEach(function (li, n) { li.setAttribute("aria-selected", n === i ? "true" : "false"); });
    active = i;
    if (items[i]) { box.setAttribute("aria-activedescendant", items[i].id); }
  }
  function pick(li) {
    var w = word();
    if (!w) { return close(); }
    var name = li.getAttribute("data-username");
    var end = box.selectionStart;
    box.value = box.value.slice(0, w.start) + name + " " + box.value.slice(end);
    var at = w.start + name.length + 1;
    box.setSelectionRange(at, at);
    close();
    box.focus();
  }
  function show() {
    var w = word();
    if (!w) { return close(); }
    var cat = sharing ? sharing.value : "";
    list.textContent = "";
    var n = 0;
    people.forEach(function (p) {
      var u = p.getAttribute("data-username");
      var cats = (p.getAttribute("data-categories") || "").split(" ");
      if (cat && cats.indexOf(cat) < 0) { return; }
      if (u.toLowerCase().indexOf(w.text) !== 0 && p.getAttribute("data-name").toLowerCase().indexOf(w.text) < 0) { return; }
      var li = document.createElement("li");
      li.id = "mention-" + n;
      li.setAttribute("role", "option");
      li.setAttribute("data-username", u);
      li.textContent = "@" + u + " – " + p.getAttribute("data-name");
      li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(li); });
      list.appendChild(li);
      n += 1;
    });
    list.hidden = n === 0;
    if (n) { mark(0); }
  }
  box.addEventListener("input", show);
  box.addEventListener("blur", function () { window.setTimeout(close, 100); });
  box.addEventListener("keydown", function (e) {
    if (list.hidden) { return; }
    var items = list.querySelectorAll("li");
    if (e.key === "ArrowDown") { e.preventDefault(); mark((active + 1) % items.length); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark((active - 1 + items.length) % items.length); }
    else if ((e.key === "Enter" || e.key === "Tab") && items[active]) { e.preventDefault(); pick(items[active]); }
    else if (e.key === "Escape") { close(); }
  });
}());
