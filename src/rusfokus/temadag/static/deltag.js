// Participant phone page: long-polls the live state and sends answers. Text only via textContent.
(function () {
  "use strict";
  var root = document.getElementById("live");
  var tid = root.dataset.temadag;
  var version = -1;
  var current = null;
  var el = function (id) { return document.getElementById(id); };

  function setText(id, text) { var n = el(id); n.textContent = text || ""; n.hidden = !text; }

  function render(s) {
    current = s;
    var q = s.question;
    el("evaluering").hidden = s.phase !== "slut";
    el("svar").textContent = "";
    if (!q) {
      setText("case", ""); setText("spoergsmaal", ""); setText("forklaring", "");
      el("status").textContent = s.phase === "slut"
        ? "Tak for i dag. Giv gerne din mening om temadagen."
        : "Du er tjekket ind. Vent på første spørgsmål.";
      return;
    }
    el("live-overskrift").textContent = "Spørgsmål " + (s.index + 1) + " af " + s.total;
    setText("case", q.case); setText("spoergsmaal", q.question);
    q.options.forEach(function (text, i) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.setAttribute("aria-pressed", s.my_answer === i ? "true" : "false");
      if (s.phase === "vis") {
        b.disabled = true;
        if (q.correct && q.correct.indexOf(i) >= 0) { b.classList.add("rigtigt"); b.textContent = text + " (rigtigt)"; }
        if (s.counts) { b.textContent += " · " + s.counts[i] + " svar"; }
      } else {
        b.addEventListener("click", function () { send(q.id, i); });
      }
      el("svar").appendChild(b);
    });
    setText("forklaring", s.phase === "vis" ? q.explanation : "");
    el("status").textContent = s.phase === "vis" ? "Svaret er vist på skærmen."
      : (s.my_answer === null || s.my_answer === undefined ? "Vælg dit svar." : "Dit svar er sendt. Du kan ændre det, indtil svaret bliver vist.");
  }

  function send(questionId, option) {
    fetch("/api/temadag/" + tid + "/svar", {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-Rusfokus": "1" },
      body: JSON.stringify({ question: questionId, option: option })
    }).then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
      .then(function (res) {
        if (!res[0]) { el("status").textContent = res[1].fejl || "Svaret blev ikke sendt. Prøv igen."; return; }
        current.my_answer = option;
        render(current);
      })
      .catch(function () { el("status").textContent = "Ingen forbindelse. Prøv igen."; });
  }

  function poll() {
    fetch("/api/temadag/" + tid + "/deltager?since=" + version, { credentials: "same-origin" })
      .then(function (r) {
        if (r.status === 401) { window.location.href = "/temadag/ind"; throw new Error("ikke tjekket ind"); }
        return r.json();
      })
      .then(function (s) { if (s.version !== version) { version = s.version; render(s); } poll(); })
      .catch(function (e) { if (e.message !== "ikke tjekket ind") { setTimeout(poll, 2000); } });
  }
  poll();
})();
