/* rusfokus: embed live apps (same origin) or keep the Danish offline notice;
   the theme's menu buttons on phones and tablets; no sticky tooltips on touch. */
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

  function start() {
    startApps();
    fixToggles();
    noTouchTooltips();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
