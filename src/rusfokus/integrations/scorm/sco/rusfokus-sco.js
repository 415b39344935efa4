/* rusfokus SCO (SCORM 1.2). Plain ES5: it runs inside whatever player the LMS has.
 *
 * 1. Find the LMS's API (the SCORM 1.2 walk: this window and its parents, then the opener's),
 *    LMSInitialize, read cmi.core.student_id and cmi.core.student_name.
 * 2. Open rusfokus for the learner in a new window (an LMS frame cannot keep rusfokus's cookie:
 *    third-party cookies are blocked). A blocked popup shows the button "Åbn kurset".
 * 3. The rusfokus window, once the learner has shown who she is there, posts a signed launch token
 *    back to this window (postMessage, checked against rusfokus's origin).
 * 4. Poll rusfokus's status with that token; set cmi.core.score.* and cmi.core.lesson_status
 *    (passed / failed), LMSCommit. LMSFinish when the page goes.
 * Nothing is loaded from the network except rusfokus itself. Settings: config.js.
 */
(function () {
  "use strict";
  var cfg = window.RUSFOKUS_SCORM || {};
  var MAX_TRIES = 500;
  var api = null, token = null, timer = null, done = false, finished = false, reported = "";
  var started = new Date().getTime();
  var besked = document.getElementById("rf-besked");
  var knapLinje = document.getElementById("rf-knap-linje");
  var knap = document.getElementById("rf-aabn");

  function say(text) { besked.textContent = text; }

  function apiOf(win) {
    try { return win.API || null; } catch (e) { return null; } /* another origin's frame */
  }
  function parentOf(win) {
    try { return win.parent && win.parent !== win ? win.parent : null; } catch (e) { return null; }
  }
  function findAPI(win) {
    var tries = 0;
    while (win && tries <= MAX_TRIES) {
      var found = apiOf(win);
      if (found) { return found; }
      win = parentOf(win);
      tries += 1;
    }
    return null;
  }
  function getAPI() {
    var found = findAPI(window);
    if (!found) {
      try { if (window.opener) { found = findAPI(window.opener); } } catch (e) { found = null; }
    }
    return found;
  }

  function get(name) { return String(api.LMSGetValue(name) || ""); }
  function set(name, value) { return String(api.LMSSetValue(name, String(value))) === "true"; }

  function sessionTime() {
    var s = Math.max(0, Math.round((new Date().getTime() - started) / 1000));
    function two(n) { return (n < 10 ? "0" : "") + n; }
    var h = Math.floor(s / 3600);
    return (h < 10 ? "000" : h < 100 ? "00" : h < 1000 ? "0" : "") + h + ":" + two(Math.floor(s / 60) % 60) + ":" + two(s % 60);
  }

  function finish() {
    if (finished || !api) { return; }
    finished = true;
    try {
      set("cmi.core.session_time", sessionTime());
      set("cmi.core.exit", done ? "" : "suspend");
      api.LMSCommit("");
      api.LMSFinish("");
    } catch (e) { /* the LMS is already gone */ }
  }

  function report(data) {
    var status = data && data.lesson_status;
    if (status !== "passed" && status !== "failed") { return; }
    var key = status + ":" + data.score + ":" + data.at;
    if (key === reported) { return; }
    reported = key;
    if (typeof data.score === "number") {
      set("cmi.core.score.min", "0");
      set("cmi.core.score.max", "100");
      set("cmi.core.score.raw", String(data.score));
    }
    set("cmi.core.lesson_status", status);
    api.LMSCommit("");
    if (status === "passed") {
      done = true;
      say("Du har bestået modulet. Dit resultat er sendt hertil. Du kan lukke kurset nu.");
      knapLinje.hidden = true;
    } else {
      say("Du bestod ikke testen denne gang. Du kan prøve igen i kurset.");
    }
  }

  function schedule() {
    if (timer) { clearTimeout(timer); }
    if (!done && token) { timer = setTimeout(poll, Math.max(2, Number(cfg.pollSeconds) || 15) * 1000); }
  }

  function poll() {
    timer = null;
    if (done || !token) { return; }
    var xhr = new XMLHttpRequest();
    xhr.open("GET", cfg.rusfokus + "/api/scorm/status?t=" + encodeURIComponent(token));
    xhr.onload = function () {
      if (xhr.status === 200) {
        try { report(JSON.parse(xhr.responseText)); } catch (e) { /* not JSON: try again later */ }
      } else if (xhr.status === 403) {
        token = null;
        say("Forbindelsen til kurset er udløbet. Tryk på knappen for at åbne kurset igen.");
        knapLinje.hidden = false;
      }
      schedule();
    };
    xhr.onerror = schedule;
    xhr.send();
  }

  function onMessage(event) {
    if (event.origin !== cfg.rusfokus) { return; }
    var data = event.data;
    if (!data || data.type !== "rusfokus-scorm-launch" || typeof data.token !== "string") { return; }
    token = data.token;
    set("cmi.suspend_data", token); /* the next launch can poll at once */
    api.LMSCommit("");
    poll();
  }

  function openCourse(url) {
    var win = null;
    try { win = window.open(url, "rusfokus-" + cfg.module); } catch (e) { win = null; }
    knapLinje.hidden = false;
    if (win) {
      say("Kurset er åbnet i et nyt vindue. Tag testen der. Dit resultat kommer hertil bagefter.");
    } else {
      say("Din browser stoppede det nye vindue. Tryk på knappen for at åbne kurset.");
      knap.focus();
    }
  }

  function start() {
    api = getAPI();
    if (!api) { say("Kurset kan ikke finde dit LMS. Åbn kurset fra dit LMS igen."); return; }
    if (String(api.LMSInitialize("")) !== "true") { say("Dit LMS svarer ikke. Åbn kurset fra dit LMS igen."); return; }
    var sid = get("cmi.core.student_id");
    var name = get("cmi.core.student_name");
    var status = get("cmi.core.lesson_status");
    if (status === "" || status === "not attempted") {
      set("cmi.core.lesson_status", "incomplete");
      api.LMSCommit("");
    }
    done = status === "passed";
    if (!sid) { say("Dit LMS sendte ikke, hvem du er. Kontakt kursets administrator."); return; }
    if (!cfg.rusfokus || !cfg.package) { say("Pakken er ikke sat rigtigt op. Kontakt kursets administrator."); return; }
    if (name) { document.title = "rusfokus – " + name; }
    var url = cfg.rusfokus + "/scorm/start?p=" + encodeURIComponent(cfg.package) + "&sid=" + encodeURIComponent(sid);
    window.addEventListener("message", onMessage);
    window.addEventListener("pagehide", finish);
    window.addEventListener("beforeunload", finish);
    knap.addEventListener("click", function () { openCourse(url); });
    var saved = get("cmi.suspend_data");
    if (saved && saved.indexOf(".") > 0 && !done) { token = saved; poll(); }
    openCourse(url);
  }

  start();
})();
