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
