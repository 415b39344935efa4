/* The learner's rusfokus window, opened by the SCORM package: hand the signed launch token to the
   SCO (the opener) at the LMS's origin only, then go on to the module. */
(function () {
  "use strict";
  var el = document.getElementById("rf-scorm");
  if (!el) { return; }
  var sent = false;
  try {
    if (window.opener && !window.opener.closed) {
      window.opener.postMessage({ type: "rusfokus-scorm-launch", token: el.dataset.token }, el.dataset.lms);
      sent = true;
    }
  } catch (e) { sent = false; }
  if (!sent) {
    document.getElementById("rf-scorm-besked").textContent =
      "Kurset er åbent, men dit LMS kan ikke få besked herfra. Åbn kurset med knappen i dit LMS, så dit resultat kommer med.";
    return;
  }
  window.setTimeout(function () { window.location.replace(el.dataset.next); }, 200);
})();
