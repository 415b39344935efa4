/* rusfokus: embed live apps (same origin) or keep the Danish offline notice. */
(function () {
  "use strict";

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

  function embed(box, apps) {
    var name = box.getAttribute("data-app");
    if (apps.indexOf(name) < 0) { return; }
    var frame = document.createElement("iframe");
    frame.src = box.getAttribute("data-src");
    frame.title = box.getAttribute("data-title");
    frame.className = "rf-app-frame";
    frame.style.height = (box.getAttribute("data-height") || "600") + "px";
    frame.setAttribute("loading", "lazy");
    frame.addEventListener("load", function () {
      fitHeight(frame);
      window.setInterval(function () { fitHeight(frame); }, 700);
    });
    var notice = box.querySelector(".rf-app-offline");
    if (notice) { notice.hidden = true; }
    box.appendChild(frame);
    box.classList.add("rf-app-live");
  }

  function start() {
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

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
