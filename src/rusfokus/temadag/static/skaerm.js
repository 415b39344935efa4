// Projector page: check-in code/QR, live bar chart of anonymous answers, facilitator controls.
(function () {
  "use strict";
  var tid = document.getElementById("skaerm").dataset.temadag;
  var el = function (id) { return document.getElementById(id); };
  var since = -1;
  var showCheckin = true;
  var last = null;
  var codeTimer = null;

  function refreshCode() {
    fetch("/api/temadag/" + tid + "/kode", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (c) {
        el("qr").src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(c.svg);
        el("qr").dataset.url = c.url;
        el("kode").textContent = c.code;
        el("adresse").textContent = c.url.split("?")[0];
        el("tjekket").textContent = c.checked_in;
        el("sekunder").textContent = c.seconds_left;
        el("ikke-i-dag").hidden = c.today;
        el("lokal-adresse").hidden = !c.loopback;
        el("ikke-i-dag").textContent = c.today ? "" : "Tjek ind virker kun på selve dagen (" + c.date + "). Koden her bliver afvist i dag.";
        clearTimeout(codeTimer);
        codeTimer = setTimeout(refreshCode, Math.min(15, c.seconds_left + 1) * 1000);
      })
      .catch(function () { clearTimeout(codeTimer); codeTimer = setTimeout(refreshCode, 5000); });
  }

  function render(s) {
    last = s;
    var q = s.question;
    var live = !!q && !showCheckin;
    el("vis-tjekind").textContent = showCheckin ? "Vis spørgsmål" : "Vis tjek ind";
    el("tjekind").hidden = live || s.phase === "slut";
    el("live").hidden = !live;
    el("slut").hidden = s.phase !== "slut";
    if (!q) { return; }
    el("nummer").textContent = (s.index + 1) + " af " + s.total;
    el("case").textContent = q.case || "";
    el("case").hidden = !q.case;
    el("spoergsmaal").textContent = q.question;
    var total = s.counts.reduce(function (a, b) { return a + b; }, 0);
    var list = el("soejler");
    list.textContent = "";
    q.options.forEach(function (text, i) {
      var li = document.createElement("li");
      var label = document.createElement("div");
      label.className = "soejle-tekst";
      var t = document.createElement("span"); t.textContent = text;
      var n = document.createElement("span"); n.className = "optalt"; n.textContent = s.counts[i] + " svar";
      label.appendChild(t); label.appendChild(n);
      var bar = document.createElement("div");
      bar.className = "soejle";
      bar.setAttribute("aria-hidden", "true");
      bar.style.width = (total ? (100 * s.counts[i] / total) : 0) + "%";
      li.appendChild(label); li.appendChild(bar);
      if (s.phase === "vis" && q.correct && q.correct.indexOf(i) >= 0) { li.classList.add("rigtigt"); }
      list.appendChild(li);
    });
    el("antal").textContent = s.answered + " har svaret.";
    el("forklaring").textContent = s.phase === "vis" ? q.explanation : "";
    el("forklaring").hidden = s.phase !== "vis";
  }

  function poll() {
    fetch("/api/temadag/" + tid + "/skaerm?since=" + since, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (s) {
        if (since === -1 && s.question) { showCheckin = false; }
        since = s.answers_version; render(s); poll();
      })
      .catch(function () { setTimeout(poll, 2000); });
  }

  function act(action) {
    el("styr-fejl").textContent = "";
    fetch("/api/temadag/" + tid + "/styr", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Rusfokus": "1" },
      body: JSON.stringify({ action: action })
    }).then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
      .then(function (res) {
        if (!res[0]) { el("styr-fejl").textContent = res[1].fejl || "Det gik ikke."; return; }
        showCheckin = false;
        render(res[1]);
      });
  }

  document.querySelectorAll("[data-action]").forEach(function (b) {
    b.addEventListener("click", function () { act(b.dataset.action); });
  });
  el("vis-tjekind").addEventListener("click", function () {
    showCheckin = !showCheckin;
    if (last) { render(last); } else { el("tjekind").hidden = false; }
  });
  refreshCode();
  poll();
})();
