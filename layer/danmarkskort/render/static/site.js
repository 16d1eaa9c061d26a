/* danmarkskort: a richer tooltip for the maps. Without JavaScript each municipality's SVG
   <title> is the tooltip; with it, the same text shows on hover AND on keyboard focus. */
(function () {
  "use strict";
  var tip = document.getElementById("tip");
  if (!tip) { return; }
  var current = null;

  function fill(link) {
    var lines = (link.getAttribute("data-tip") || "").split("\n");
    tip.textContent = "";
    lines.forEach(function (line, i) {
      var el = document.createElement(i === 0 ? "strong" : "span");
      el.textContent = line;
      if (i === 1) { el.className = "tip-tal"; }
      if (i > 1 && /kommune/i.test(line) && line.length > 60) { el.className = "tip-bem"; }
      tip.appendChild(el);
    });
  }

  function place(x, y) {
    var w = tip.offsetWidth, h = tip.offsetHeight;
    var left = x + 16, top = y + 16;
    var maxLeft = window.scrollX + document.documentElement.clientWidth - w - 8;
    if (left > maxLeft) { left = Math.max(window.scrollX + 8, x - w - 16); }
    if (top + h > window.scrollY + window.innerHeight - 8) { top = Math.max(window.scrollY + 8, y - h - 16); }
    tip.style.left = left + "px";
    tip.style.top = top + "px";
  }

  function show(link, x, y) {
    if (current && current !== link) { current.classList.remove("aktiv"); }
    current = link;
    link.classList.add("aktiv");
    fill(link);
    tip.hidden = false;
    place(x, y);
  }

  function hide() {
    if (current) { current.classList.remove("aktiv"); }
    current = null;
    tip.hidden = true;
  }

  document.querySelectorAll("svg.kort .kommune").forEach(function (link) {
    // The SVG <title> stays as the accessible name; move it to aria-label so the browser's
    // own tooltip does not show on top of ours.
    var title = link.querySelector("title");
    if (title) {
      link.setAttribute("aria-label", title.textContent.replace(/\n/g, ". "));
      title.remove();
    }
    link.addEventListener("mousemove", function (e) { show(link, e.pageX, e.pageY); });
    link.addEventListener("mouseleave", hide);
    link.addEventListener("focus", function () {
      var r = link.getBoundingClientRect();
      show(link, r.right + window.scrollX - 8, r.top + window.scrollY + r.height / 2);
    });
    link.addEventListener("blur", hide);
  });
  document.addEventListener("keydown", function (e) { if (e.key === "Escape") { hide(); } });
}());

/* A page of an earlier version (under v/<version>/, kept so that old links still work) says
   so when a newer version is published, and links to the same page with the current
   figures. versions.json at the site root names the current version. */
(function () {
  "use strict";
  var version = document.body.getAttribute("data-version");
  var marker = "/v/" + version + "/";
  var at = window.location.pathname.indexOf(marker);
  if (!version || at < 0 || !window.fetch) { return; }
  var root = window.location.pathname.slice(0, at + 1);
  var page = window.location.pathname.slice(at + marker.length);
  fetch(root + "versions.json", { cache: "no-cache" })
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (v) {
      if (!v || !v.current || v.current === version) { return; }
      var note = document.createElement("p");
      note.className = "rettet foraeldet";
      note.setAttribute("role", "note");
      note.appendChild(document.createTextNode(
        "Denne side viser en ældre udgave af tallene. Der er offentliggjort nyere tal: "));
      var link = document.createElement("a");
      link.href = root + page;
      link.textContent = "se siden med de aktuelle tal";
      note.appendChild(link);
      note.appendChild(document.createTextNode("."));
      var main = document.getElementById("indhold");
      if (main) { main.insertBefore(note, main.firstChild); }
    })
    .catch(function () { /* no notice without versions.json */ });
})();
