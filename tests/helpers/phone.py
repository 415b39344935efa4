"""A phone in Chromium: its user agent and the checks every app page must pass at 390 px."""

PHONE_UA = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Mobile Safari/537.36"
)

# Every shown control: inside the screen horizontally, and hit by a tap at its
# centre (not covered, not clipped by a box it overflows). The window is
# scrolled vertically only: scrollIntoView would also scroll a clipping box
# sideways and hide the very problem this looks for.
CONTROLS_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  const sel = 'button, input:not([type=hidden]), select, textarea, a.rf-knap';
  const name = (el) => ((el.labels && el.labels[0] && el.labels[0].textContent) || el.getAttribute('aria-label')
    || el.textContent || el.placeholder || el.value || el.tagName).trim().replace(/\\s+/g, ' ').slice(0, 50);
  let checked = 0;
  for (const el of document.querySelectorAll(sel)) {
    const style = getComputedStyle(el);
    if (!el.getClientRects().length || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    let r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) continue;
    checked += 1;
    if (r.left < -0.5 || r.right > vw + 0.5) {
      bad.push(`${name(el)}: x ${Math.round(r.left)}..${Math.round(r.right)} is outside 0..${vw}`);
      continue;
    }
    window.scrollTo(0, window.scrollY + r.top - window.innerHeight / 2 + r.height / 2);
    r = el.getBoundingClientRect();
    const x = r.left + r.width / 2, y = Math.min(Math.max(r.top + r.height / 2, 1), window.innerHeight - 1);
    const hit = document.elementFromPoint(x, y);
    const ok = hit && (hit === el || el.contains(hit) ||
      (el.labels && Array.from(el.labels).some((l) => l.contains(hit))));
    if (!ok) bad.push(`${name(el)}: a tap at its centre hits ${hit ? hit.outerHTML.slice(0, 90) : 'nothing'}`);
  }
  window.scrollTo(0, 0);
  return {checked, bad};
}"""

# Text that runs past the screen's right edge, except inside a box meant to
# scroll sideways (a wide table in its own scroll box) and the column headers
# a stacked table keeps for screen readers only.
TEXT_JS = """() => {
  const vw = document.documentElement.clientWidth;
  const bad = [];
  for (const el of document.querySelectorAll('.rf-live-widget *')) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim());
    // headers read, not shown
    if (!own || !el.getClientRects().length || el.closest('table.rf-stacked thead')) continue;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.right <= vw + 0.5) continue;
    const box = el.closest('.rf-scroll, .rf-scrollable');
    if (box && box.getBoundingClientRect().right <= vw + 0.5 && box.scrollWidth > box.clientWidth) continue;
    bad.push(
      `${el.tagName.toLowerCase()} "${el.textContent.trim().slice(0, 40)}" ends at ${Math.round(r.right)} > ${vw}`);
  }
  return bad.slice(0, 10);
}"""
