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

  document.querySelectorAll("svg.kort .kommune, svg.tragt .punkt").forEach(function (link) {
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

  // Names as people type them: any case, hyphen or space ("Lyngby Taarbæk"), the full name
  // ("Københavns Kommune"), å/aa, æ/ae, ø/oe ("Århus", "Aabenraa"), and ø or æ without
  // their letters ("Sonderborg"). Each text gives a strict and a loose key.
  function keys(text) {
    var t = (text || "").toLowerCase().replace(/[-\u2010-\u2015]/g, " ")
      .replace(/\s+/g, " ").trim().replace(/ (regions)?kommune$/, "");
    var strict = t.replace(/å/g, "aa").replace(/æ/g, "ae").replace(/ø/g, "oe");
    return [strict, strict.replace(/aa/g, "a").replace(/ae/g, "a").replace(/oe/g, "o")];
  }

  function rows() { return document.querySelectorAll("li[data-navn]"); }

  // Every municipality once, with its page and the keys of its name and its full name.
  function towns() {
    var seen = {}, out = [];
    rows().forEach(function (li) {
      var name = li.getAttribute("data-navn"), link = li.querySelector("a");
      if (link && !seen[name]) {
        seen[name] = true;
        out.push({ name: name, href: link.href,
                   keys: keys(name).concat(keys(li.getAttribute("data-fuldt"))) });
      }
    });
    return out;
  }

  function test(town, query, how) {
    var q = keys(query);
    return town.keys.some(function (k, i) {
      var want = q[i % 2];
      return how === "exact" ? k === want : how === "prefix" ? k.indexOf(want) === 0
        : k.indexOf(want) >= 0;
    });
  }

  // The municipality to open: the one named exactly, or the one whose name starts so.
  // A match inside a name only narrows the list ("Hals" is no municipality: no Halsnæs).
  function matching(query) {
    if (!keys(query)[0]) { return { open: null, all: [] }; }
    var all = towns();
    var exact = all.filter(function (t) { return test(t, query, "exact"); });
    var prefix = all.filter(function (t) { return test(t, query, "prefix"); });
    var inside = all.filter(function (t) { return test(t, query, "inside"); });
    var open = exact.length === 1 ? exact[0] : prefix.length === 1 ? prefix[0] : null;
    return { open: open, all: inside };
  }

  function narrow(query) {
    var q = keys(query)[0];
    rows().forEach(function (li) {
      var town = { keys: keys(li.getAttribute("data-navn"))
                           .concat(keys(li.getAttribute("data-fuldt"))) };
      li.hidden = q !== "" && !test(town, query, "inside");
    });
  }

  function say(form, query, found) {
    var status = form.querySelector(".find-svar");
    if (!status) { return; }
    var q = query.trim();
    if (!keys(q)[0]) { status.textContent = ""; return; }
    if (!found.all.length) {
      status.textContent = "Ingen kommune passer på «" + q + "». Prøv med begyndelsen af navnet.";
    } else if (found.open) {
      status.textContent = found.open.name + ": tryk Find for at åbne kommunens side.";
    } else {
      status.textContent = found.all.length + " kommuner passer på «" + q + "»: se listen.";
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
      if (found.open) { e.preventDefault(); window.location.href = found.open.href; return; }
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
      // Arriving from a form elsewhere (a snippet) nobody saw which name a prefix matched:
      // open only the municipality named exactly, list the rest.
      if (found.open && test(found.open, q, "exact")) {
        window.location.replace(found.open.href);
        return;
      }
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

/* The funnel plot: one tab stop per plot, the arrow keys move between its points (in order
   of cases), so a keyboard user does not tab through 98 points. Without JavaScript every
   point is a tab stop of its own. */
(function () {
  "use strict";
  document.querySelectorAll("svg.tragt").forEach(function (svg) {
    var points = Array.prototype.slice.call(svg.querySelectorAll(".punkt"));
    if (!points.length) { return; }
    points.forEach(function (p, i) { p.setAttribute("tabindex", i === 0 ? "0" : "-1"); });
    svg.addEventListener("keydown", function (e) {
      var at = points.indexOf(document.activeElement);
      if (at < 0) { return; }
      var to = { ArrowRight: at + 1, ArrowUp: at + 1, ArrowLeft: at - 1, ArrowDown: at - 1,
                 Home: 0, End: points.length - 1 }[e.key];
      if (to === undefined) { return; }
      e.preventDefault();
      to = Math.max(0, Math.min(points.length - 1, to));
      points[at].setAttribute("tabindex", "-1");
      points[to].setAttribute("tabindex", "0");
      points[to].focus();
    });
  });
}());
