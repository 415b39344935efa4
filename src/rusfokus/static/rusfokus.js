/* rusfokus: embed live apps (same origin) or keep the Danish offline notice;
   the theme's menu buttons on phones and tablets; no sticky tooltips on touch;
   the learner's journey (pages read, test status, "Fortsæt hvor du slap"). */
(function () {
  "use strict";

  var READY_TIMEOUT_MS = 60000;

  function fitHeight(frame) {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.body) { return; }
      /* Voilà's body is as tall as the frame and its content scrolls in an
         inner element: measure the content, not the body. */
      var h = 0;
      ["#rendered_cells", ".jp-Notebook", "main", "body > div"].forEach(function (sel) {
        var el = doc.querySelector(sel);
        if (el) { h = Math.max(h, el.scrollHeight + el.getBoundingClientRect().top); }
      });
      if (!h) { h = Math.max(doc.body.scrollHeight, doc.documentElement.scrollHeight); }
      if (h > 50 && Math.abs(h - frame.clientHeight) > 8) {
        frame.style.height = (h + 16) + "px";
      }
    } catch (e) { /* another origin: keep the fixed height */ }
  }

  /* The app page's body gets rf-live-ready when its widgets are shown, or
     rf-live-failed when it shows its own Danish notice. */
  function appState(frame) {
    try {
      var body = frame.contentDocument && frame.contentDocument.body;
      if (!body) { return ""; }
      if (body.classList.contains("rf-live-ready")) { return "ready"; }
      if (body.classList.contains("rf-live-failed")) { return "failed"; }
    } catch (e) { return "ready"; /* another origin: cannot tell, do not keep the line */ }
    return "";
  }

  function embed(box, apps) {
    var name = box.getAttribute("data-app");
    if (apps.indexOf(name) < 0) { return; }
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-src");
    frame.title = box.getAttribute("data-title");
    frame.className = "rf-app-frame";
    frame.style.height = (box.getAttribute("data-height") || "600") + "px";
    frame.setAttribute("loading", "lazy");
    /* "Værktøjet starter …" until the app's widgets are in the frame. */
    var loading = document.createElement("p");
    loading.className = "rf-app-loading";
    loading.setAttribute("role", "status");
    loading.textContent = "Værktøjet starter …";
    var started = Date.now();
    var watch = window.setInterval(function () {
      var state = appState(frame);
      if (state || Date.now() - started > READY_TIMEOUT_MS) {
        loading.hidden = true;
        box.classList.remove("rf-app-starting");
        window.clearInterval(watch);
      }
    }, 250);
    frame.addEventListener("load", function () {
      fitHeight(frame);
      window.setInterval(function () { fitHeight(frame); }, 700);
    });
    var notice = box.querySelector(".rf-app-offline");
    if (notice) { notice.hidden = true; }
    box.appendChild(loading);
    box.appendChild(frame);
    box.classList.add("rf-app-live", "rf-app-starting");
  }

  function startApps() {
    var boxes = document.querySelectorAll(".rf-app");
    if (!boxes.length || !/^https?:$/.test(window.location.protocol)) { return; }
    fetch("/rusfokus/status", { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (status) {
        if (!status || !status.apps) { return; }
        boxes.forEach(function (box) { embed(box, status.apps); });
      })
      .catch(function () { /* no server: the notice stays */ });
  }

  /* The theme (pydata-sphinx-theme 0.17 / sphinx-book-theme 1.3) hooks its
     drawer code to the FIRST .primary-toggle and .secondary-toggle in the
     page: the pydata header's buttons, which the book theme hides. The
     visible ☰ and "Indhold" buttons in the article header then do nothing.
     Hand their clicks to the theme's own (hidden) button, so the theme opens
     its drawer (phones, tablets) or folds the sidebar (wide screens) exactly
     as it means to. */
  function fixToggles() {
    [["primary-toggle", "pst-primary-sidebar-modal"], ["secondary-toggle", "pst-secondary-sidebar-modal"]]
      .forEach(function (pair) {
        var all = document.querySelectorAll("." + pair[0]);
        var themes = all[0];
        var dialog = document.getElementById(pair[1]);
        if (!themes || !dialog) { return; }
        Array.prototype.slice.call(all, 1).forEach(function (button) {
          button.addEventListener("click", function (event) {
            event.preventDefault();
            event.stopPropagation();
            button.blur();
            if (dialog.open) { return; }
            themes.click();
            /* the theme gives focus back to what had it when the drawer closes */
            if (dialog.open) {
              dialog.addEventListener("close", function () { button.focus(); }, { once: true });
            }
          });
        });
        /* a close button inside the drawer (the theme closes on Esc and a tap outside only) */
        var close = document.createElement("button");
        close.type = "button";
        close.className = "rf-drawer-close btn";
        close.textContent = "Luk";
        close.addEventListener("click", function () { dialog.close(); });
        dialog.addEventListener("close", function () { if (close.parentNode) { close.remove(); } });
        var observer = new MutationObserver(function () {
          if (dialog.open && !close.parentNode) { dialog.prepend(close); }
        });
        observer.observe(dialog, { attributes: true, attributeFilter: ["open"] });
      });
  }

  /* Tooltips (Bootstrap, "hover focus") stay after a tap on a touch screen and
     cover the next button (the search button): no tooltips there; every
     button keeps its accessible name. */
  function noTouchTooltips() {
    var touch = window.matchMedia("(hover: none), (pointer: coarse)");
    if (!touch.matches) { return; }
    document.documentElement.classList.add("rf-touch");
    /* this script runs before the theme's bootstrap.js makes the tooltips */
    var Tooltip = window.bootstrap && window.bootstrap.Tooltip;
    document.querySelectorAll('[data-bs-toggle="tooltip"]').forEach(function (el) {
      var tip = Tooltip && Tooltip.getInstance(el);
      if (tip) { tip.dispose(); }
      el.removeAttribute("data-bs-toggle");
    });
  }

  /* ---- The learner's journey ------------------------------------------------
     Module pages show how many of the module's pages she has read and her test
     status; the forside offers "Fortsæt hvor du slap"; case tabs open on her
     faggruppe. Signed in (personal link): remembered by the server
     (/api/progress/mig, /laest, /besoegt; identity from the signed cookie only).
     Otherwise in this browser's localStorage. A page counts as read when its
     end has been on the screen. The pages come from rusfokus-sider.json. */
  var LOCAL_KEY = "rusfokus-forloeb";
  var TAB_KEY = "sphinx-design-tab-id-faggruppe";
  var TEST_TEXT_LOCAL = "Du ser din status for testen, når du har åbnet kurset via dit personlige link.";

  function readLocal() {
    try {
      var data = JSON.parse(window.localStorage.getItem(LOCAL_KEY) || "{}");
      return { laest: Array.isArray(data.laest) ? data.laest : [], sidst: typeof data.sidst === "string" ? data.sidst : null };
    } catch (e) { return { laest: [], sidst: null }; }
  }

  function writeLocal(data) {
    try { window.localStorage.setItem(LOCAL_KEY, JSON.stringify({ laest: data.laest, sidst: data.sidst })); } catch (e) { /* private mode */ }
  }

  function postJSON(path, body) {
    return fetch(path, {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", "X-Rusfokus": "1" },
      body: JSON.stringify(body)
    }).then(function (r) { return r.ok ? r.json() : null; }).catch(function () { return null; });
  }

  /* the same rule as rusfokus.progress.journey.next_page */
  function nextPage(order, read, last) {
    var i = order.indexOf(last);
    if (i >= 0 && read.indexOf(last) < 0) { return last; }
    var start = i >= 0 ? i + 1 : 0;
    var ring = order.slice(start).concat(order.slice(0, start));
    for (var j = 0; j < ring.length; j++) {
      if (read.indexOf(ring[j]) < 0) { return ring[j]; }
    }
    return last;
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text) { node.textContent = text; }
    return node;
  }

  function Journey(map, root, page) {
    this.map = map;
    this.root = root;
    this.page = page;
    this.pages = {};
    this.order = [];
    var self = this;
    map.modules.forEach(function (m) {
      m.pages.forEach(function (p) { self.pages[p.page] = { module: m, info: p }; self.order.push(p.page); });
    });
    this.state = null; /* server state, or null when kept in this browser */
    this.local = readLocal();
  }

  Journey.prototype.read = function () { return this.state ? this.state.laest : this.local.laest; };
  Journey.prototype.last = function () { return this.state ? this.state.sidst : this.local.sidst; };

  Journey.prototype.visit = function () {
    var self = this;
    if (!this.pages[this.page]) { return Promise.resolve(); }
    if (this.state) {
      return postJSON("/api/progress/besoegt", { page: this.page }).then(function (s) { if (s && s.kendt) { self.state = s; } });
    }
    this.local.sidst = this.page;
    writeLocal(this.local);
    return Promise.resolve();
  };

  Journey.prototype.markRead = function () {
    var self = this;
    if (!this.pages[this.page] || this.read().indexOf(this.page) >= 0) { return; }
    if (this.state) {
      postJSON("/api/progress/laest", { page: this.page }).then(function (s) {
        if (s && s.kendt) { self.state = s; self.render(); }
      });
      return;
    }
    this.local.laest.push(this.page);
    writeLocal(this.local);
    this.render();
  };

  Journey.prototype.href = function (page) {
    return this.root + this.pages[page].info.url;
  };

  Journey.prototype.moduleLine = function (m) {
    var read = this.read();
    var n = m.pages.filter(function (p) { return read.indexOf(p.page) >= 0; }).length;
    return n + " af " + m.pages.length + " sider læst";
  };

  Journey.prototype.testText = function (m) {
    var test = this.state && this.state.test && this.state.test[m.id];
    return test ? "Test din viden: " + test.tekst + "." : TEST_TEXT_LOCAL;
  };

  Journey.prototype.heading = function () {
    return document.querySelector("article.bd-article h1");
  };

  Journey.prototype.render = function () {
    var h1 = this.heading();
    if (!h1) { return; }
    var box = document.getElementById("rf-journey");
    if (!box) {
      box = el("aside", "rf-journey");
      box.id = "rf-journey";
      h1.parentNode.insertBefore(box, h1.nextSibling);
    }
    box.textContent = "";
    var here = this.pages[this.page];
    if (here) {
      var m = here.module;
      box.setAttribute("aria-label", "Dit forløb i modulet");
      var line = el("p", "rf-journey-count");
      line.appendChild(el("strong", "", m.title + ": "));
      line.appendChild(document.createTextNode(this.moduleLine(m) + "."));
      box.appendChild(line);
      box.appendChild(el("p", "rf-journey-test", this.testText(m)));
      if (!this.state) {
        box.appendChild(el("p", "rf-journey-note", "Kurset husker dine læste sider i denne browser."));
      }
      return;
    }
    /* the forside: where to go on, and every module's progress */
    var last = this.last();
    if (this.page !== this.map.forside) { box.remove(); return; }
    if (!last || !this.pages[last]) { box.remove(); return; }
    box.setAttribute("aria-label", "Dit forløb");
    var next = nextPage(this.order, this.read(), last);
    if (this.state && this.state.fortsaet && this.pages[this.state.fortsaet]) { next = this.state.fortsaet; }
    var link = el("a", "rf-journey-continue");
    link.href = this.href(next);
    link.appendChild(el("span", "rf-journey-continue-label", "Fortsæt hvor du slap"));
    link.appendChild(el("span", "rf-journey-continue-page", this.pages[next].module.title + ": " + this.pages[next].info.title));
    box.appendChild(link);
    var list = el("ul", "rf-journey-modules");
    var self = this;
    this.map.modules.forEach(function (m) {
      var item = el("li");
      item.appendChild(el("strong", "", m.title + ": "));
      item.appendChild(document.createTextNode(self.moduleLine(m) + ". "));
      var test = self.state && self.state.test && self.state.test[m.id];
      if (test) { item.appendChild(document.createTextNode("Test: " + test.tekst + ".")); }
      list.appendChild(item);
    });
    box.appendChild(list);
  };

  /* her faggruppe's case tab, unless she has picked a tab herself */
  Journey.prototype.selectTab = function () {
    var tab = this.state && this.state.faggruppe;
    if (!tab) { return; }
    try { if (window.localStorage.getItem(TAB_KEY)) { return; } } catch (e) { /* no storage: still select */ }
    document.querySelectorAll('.sd-tab-label[data-sync-group="faggruppe"]').forEach(function (label) {
      if (label.getAttribute("data-sync-id") !== tab) { return; }
      var input = document.getElementById(label.getAttribute("for")) || label.previousElementSibling;
      if (input && input.tagName === "INPUT") { input.checked = true; }
    });
  };

  Journey.prototype.watchEnd = function () {
    var self = this;
    var article = document.querySelector("article.bd-article");
    if (!article || !this.pages[this.page] || !("IntersectionObserver" in window)) { return; }
    var end = el("div", "rf-journey-end");
    end.setAttribute("aria-hidden", "true");
    article.appendChild(end);
    var seen = new IntersectionObserver(function (entries) {
      if (entries.some(function (e) { return e.isIntersecting; })) {
        seen.disconnect();
        self.markRead();
      }
    });
    seen.observe(end);
  };

  function startJourney() {
    if (!/^https?:$/.test(window.location.protocol)) { return; }
    var meta = document.querySelector('meta[name="rf-page"]');
    if (!meta) { return; }
    var root = document.documentElement.getAttribute("data-content_root") || "./";
    var journey = null;
    fetch(root + "rusfokus-sider.json", { cache: "no-cache" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (map) {
        if (!map || !Array.isArray(map.modules)) { return null; }
        journey = new Journey(map, root, meta.getAttribute("content"));
        return fetch("/api/progress/mig", { credentials: "same-origin", cache: "no-store" })
          .then(function (r) { return r.ok ? r.json() : null; })
          .catch(function () { return null; });
      })
      .then(function (state) {
        if (!journey) { return null; }
        if (state && state.kendt) {
          journey.state = state;
          /* pages read before she opened her personal link: hand them to the server once */
          var known = journey.local.laest.filter(function (p) { return journey.pages[p] && state.laest.indexOf(p) < 0; });
          if (known.length) {
            return postJSON("/api/progress/laest", { pages: known }).then(function (s) {
              if (s && s.kendt) { journey.state = s; journey.local.laest = []; writeLocal(journey.local); }
            });
          }
        }
        return null;
      })
      .then(function () {
        if (!journey) { return null; }
        journey.selectTab();
        return journey.visit();
      })
      .then(function () {
        if (!journey) { return; }
        journey.render();
        journey.watchEnd();
      })
      .catch(function () { /* the page works without it */ });
  }

  function start() {
    startApps();
    fixToggles();
    noTouchTooltips();
    startJourney();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
