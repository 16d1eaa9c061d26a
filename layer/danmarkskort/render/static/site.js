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

/* "Find din kommune": typing narrows every list of municipalities on the page (the phone's
   list view, the list at the bottom, find.html's); Enter opens the one municipality that
   matches. Without JavaScript the form goes to find.html, which lists all 98. */
(function () {
  "use strict";
  var forms = document.querySelectorAll("form[data-find]");
  if (!forms.length) { return; }

  function norm(text) {
    return (text || "").toLowerCase().replace(/\s+/g, " ").trim().replace(/ kommune$/, "");
  }

  function rows() { return document.querySelectorAll("li[data-navn]"); }

  // Every municipality once, with its page: the first link found for each name.
  function towns() {
    var seen = {}, out = [];
    rows().forEach(function (li) {
      var name = li.getAttribute("data-navn"), link = li.querySelector("a");
      if (link && !seen[name]) { seen[name] = true; out.push({ name: name, href: link.href }); }
    });
    return out;
  }

  function matching(query) {
    var q = norm(query);
    if (!q) { return []; }
    var all = towns();
    var exact = all.filter(function (t) { return norm(t.name) === q; });
    if (exact.length) { return exact; }
    return all.filter(function (t) { return norm(t.name).indexOf(q) >= 0; });
  }

  function narrow(query) {
    var q = norm(query);
    rows().forEach(function (li) {
      li.hidden = q !== "" && norm(li.getAttribute("data-navn")).indexOf(q) < 0;
    });
  }

  function say(form, query, found) {
    var status = form.querySelector(".find-svar");
    if (!status) { return; }
    if (!norm(query)) { status.textContent = ""; return; }
    if (!found.length) {
      status.textContent = "Ingen kommune passer på «" + query.trim() + "». Prøv med begyndelsen af navnet.";
    } else if (found.length === 1) {
      status.textContent = found[0].name + ": tryk Find for at åbne kommunens side.";
    } else {
      status.textContent = found.length + " kommuner passer på «" + query.trim() + "»: se listen.";
    }
  }

  forms.forEach(function (form) {
    var input = form.querySelector("input[name=q]");
    if (!input) { return; }
    input.addEventListener("input", function () {
      narrow(input.value);
      say(form, input.value, matching(input.value));
    });
    form.addEventListener("submit", function (e) {
      var found = matching(input.value);
      if (found.length === 1) { e.preventDefault(); window.location.href = found[0].href; return; }
      if (rows().length) {  // stay: the lists on this page show the matches
        e.preventDefault();
        narrow(input.value);
        say(form, input.value, found);
      }
    });
  });

  // find.html?q=… (the snippets' search, or the form without script): open the one match.
  if (document.querySelector("[data-find-liste]") && window.URLSearchParams) {
    var q = new URLSearchParams(window.location.search).get("q");
    if (q) {
      var found = matching(q);
      if (found.length === 1) { window.location.replace(found[0].href); return; }
      var input = forms[0].querySelector("input[name=q]");
      if (input) { input.value = q; }
      narrow(q);
      say(forms[0], q, found);
    }
  }
}());

/* On a phone the municipalities of each map are a list first (a tile is too small to read
   or tap at 390 px); "Kort" shows the map, which then scrolls sideways at a tappable size.
   Without JavaScript a phone shows both, the map first. */
(function () {
  "use strict";
  document.querySelectorAll("[data-visning]").forEach(function (box) {
    var group = box.querySelector(".visning-valg");
    if (!group) { return; }
    var buttons = group.querySelectorAll("button[data-vis]");
    function show(view) {
      box.setAttribute("data-vis", view);
      buttons.forEach(function (b) {
        b.setAttribute("aria-pressed", String(b.getAttribute("data-vis") === view));
      });
    }
    buttons.forEach(function (b) {
      b.addEventListener("click", function () { show(b.getAttribute("data-vis")); });
    });
    group.hidden = false;
    show("liste");
  });
}());
