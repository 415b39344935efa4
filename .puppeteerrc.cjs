// @qualweb/core (accessibility tests) depends on puppeteer, whose install script
// downloads a browser build of its own. The tests drive Debian's /usr/bin/chromium
// instead (tests/a11y/qualweb_run.mjs), so puppeteer never downloads one.
// Read by puppeteer itself; package.json also denies its install script
// (allowScripts) and the Makefile sets PUPPETEER_SKIP_DOWNLOAD for npm ci.
module.exports = { skipDownload: true };
