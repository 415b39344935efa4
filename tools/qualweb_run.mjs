#!/usr/bin/env node
// QualWeb (the ACT-rules checker Digitaliseringsstyrelsen monitors public sites
// with) over a list of URLs, in one Chromium, one node process; a compact JSON
// report. Used by tests/e2e/test_qualweb.py; usable by hand:
//
//   node tools/qualweb_run.mjs --out report.json http://127.0.0.1:8866/book/index.html ...
//   node tools/qualweb_run.mjs --job job.json --out report.json
//
// job.json: {"targets": [{"url": "...", "waitFor": "css selector or null", "cookies": false (none for this page)}],
//            "cookies": [{"name", "value", "domain", "path"}],   (set before each page loads)
//            "modules": ["act-rules", "wcag-techniques"], "timeoutMs": 120000,
//            "concurrency": 1}   (pages evaluated at once, each in its own browser context)
//
// The browser is Debian's chromium-headless-shell (CHROMIUM env var, default
// /usr/bin/chromium-headless-shell; the tests' browser, half the CPU of the full chromium),
// never one puppeteer downloads (see .puppeteerrc.cjs). CHROMIUM=/usr/bin/chromium also works. Exit code 0 when every
// page was evaluated (whatever it found), 1 when a page could not be, 2 on bad use.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

// The @qualweb packages export CommonJS only.
const require = createRequire(import.meta.url);
const { QualwebPage, EvaluationManager, PluginManager } = require('@qualweb/core/lib');
const { ACTRules } = require('@qualweb/act-rules');
const { WCAGTechniques } = require('@qualweb/wcag-techniques');
// the puppeteer @qualweb/core itself depends on (pinned by package-lock.json)
const puppeteer = createRequire(require.resolve('@qualweb/core'))('puppeteer');

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium-headless-shell';
// the headless shell has only the old headless mode; the full chromium gets the new one
const HEADLESS = CHROMIUM.includes('headless-shell') ? 'shell' : true;
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run', '--disable-gpu', '--disable-dev-shm-usage'];
const MODULES = { 'act-rules': () => new ACTRules({}), 'wcag-techniques': () => new WCAGTechniques({}) };

// A package's version (the @qualweb packages do not export their package.json).
function version(name) {
  for (let dir = dirname(require.resolve(name)); dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (existsSync(file)) {
      const meta = JSON.parse(readFileSync(file, 'utf-8'));
      if (meta.name === name) return meta.version;
    }
  }
  return null;
}

function usage(message) {
  console.error(`${message}\nusage: node tools/qualweb_run.mjs (--job job.json | URL...) --out report.json`);
  process.exit(2);
}

function parseArgs(argv) {
  const job = { targets: [], cookies: [], modules: ['act-rules', 'wcag-techniques'], timeoutMs: 120_000, concurrency: 1 };
  let out = null;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--out') out = argv[++i];
    else if (arg === '--job') Object.assign(job, JSON.parse(readFileSync(argv[++i], 'utf-8')));
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else job.targets.push({ url: arg, waitFor: null });
  }
  if (!out) usage('--out is required');
  if (!job.targets.length) usage('no URL to evaluate');
  for (const name of job.modules) if (!MODULES[name]) usage(`unknown module ${name}`);
  return { job, out };
}

// QualWeb's own page fetches every URL a second time with axios, without the
// browser's cookies, to read the served HTML (for the meta-element rules). For
// an app that second request would start a second kernel, and an admin app
// would answer with the login page. This page instead sets the cookies, waits
// for the selector that says the page is ready, and reads the served HTML from
// the browser's own navigation response.
class ServedPage extends QualwebPage {
  constructor(page, target, cookies, timeoutMs) {
    super(new PluginManager(), page, target.url);
    this.target = target;
    this.cookies = cookies;
    this.timeoutMs = timeoutMs;
    this.navigation = null;
  }

  navigateToPage(options) {
    this.navigation = (async () => {
      if (this.cookies.length) await this.page.setCookie(...this.cookies);
      const response = await super.navigateToPage({ ...options, timeout: this.timeoutMs, waitUntil: 'load' });
      if (!response || !response.ok()) {
        throw new Error(`HTTP ${response ? response.status() : 'no response'} for ${this.target.url}`);
      }
      let body;
      try {
        body = await response.text();
      } catch {
        // the page went on (a meta refresh) and the browser dropped the body:
        // read it once more from Node, with the same cookies
        const cookie = this.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
        body = await (await fetch(this.target.url, { headers: cookie ? { cookie } : {}, redirect: 'manual' })).text();
      }
      if (this.target.waitFor) await this.page.waitForSelector(this.target.waitFor, { timeout: this.timeoutMs });
      return { text: async () => body, status: () => response.status(), ok: () => true };
    })();
    return this.navigation;
  }

  // QualWeb's page starts injecting its scripts without awaiting them (see the unhandledRejection note
  // below) and then counts the page's elements with $$('*'), one remote handle per element: that slow
  // count was all that gave the injection time to finish. Here the evaluation waits for the injection
  // itself, and the count is one call in the page (measured: 20 % less CPU for each book page).
  addNecessaryScripts() {
    this.scripts = super.addNecessaryScripts();
    return this.scripts;
  }

  async getNumberOfHTMLElements() {
    await this.scripts;
    return this.page.evaluate(() => document.getElementsByTagName('*').length);
  }

  async getSourceHtml() {
    const response = await this.navigation.catch(() => null);
    return response ? (await response.text()).trim() : '';
  }
}

function criteria(assertion) {
  return (assertion.metadata['success-criteria'] || []).map((c) => ({ name: c.name, level: c.level }));
}

function compact(report, rules) {
  const page = { title: report.system.page.dom.title, counts: {}, failed: [], warning: [] };
  for (const [moduleName, module] of Object.entries(report.modules)) {
    page.counts[moduleName] = module.metadata;
    for (const [code, a] of Object.entries(module.assertions)) {
      rules[code] ??= { module: moduleName, name: a.name, mapping: a.mapping || null, criteria: criteria(a) };
      const outcome = a.metadata.outcome;
      if (outcome !== 'failed' && outcome !== 'warning') continue;
      const elements = a.results.filter((r) => r.verdict === outcome).flatMap((r) => r.elements.map((e) => ({
        pointer: e.pointer || null,
        html: (e.htmlCode || '').slice(0, 300),
        description: r.description,
      })));
      page[outcome].push({ module: moduleName, code, mapping: a.mapping || null, name: a.name, criteria: criteria(a),
        elements: elements.slice(0, 10), count: elements.length });
    }
  }
  return page;
}

// @qualweb/core 0.8 injects its scripts (QualwebPage.addNecessaryScripts) without awaiting every
// promise: when a page's execution context goes away meanwhile (seen once in CI: "Execution context
// was destroyed"), the rejection escapes every try/catch and would end the whole run. ServedPage now
// awaits the injection, but a rejection that comes before that await is still reported as unhandled.
// Log it; the page it belonged to fails or succeeds on its own and is retried above if it failed.
process.on('unhandledRejection', (err) => {
  console.error(`unhandled rejection (its page is retried if it failed): ${String(err).slice(0, 300)}`);
});

async function main() {
  const { job, out } = parseArgs(process.argv.slice(2));
  const started = Date.now();
  const browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: HEADLESS, args: CHROMIUM_ARGS });
  const result = {
    tool: {
      '@qualweb/core': version('@qualweb/core'),
      '@qualweb/act-rules': version('@qualweb/act-rules'),
      '@qualweb/wcag-techniques': version('@qualweb/wcag-techniques'),
      browser: await browser.version(),
      modules: job.modules,
    },
    rules: {},
    pages: {},
    errors: {},
    seconds: 0,
  };
  let done = 0;
  let next = 0;
  const evaluateOnce = async (target, t0) => {
    const context = await browser.createBrowserContext();
    try {
      const page = await context.newPage();
      const cookies = target.cookies === false ? [] : job.cookies || [];
      const served = new ServedPage(page, target, cookies, job.timeoutMs);
      const options = { modules: job.modules.map((name) => MODULES[name]()), translate: 'en' };
      const report = await new EvaluationManager(served).evaluate(options);
      result.pages[target.url] = { ...compact(report, result.rules), seconds: (Date.now() - t0) / 1000 };
      delete result.errors[target.url];
    } catch (err) {
      result.errors[target.url] = String(err && err.stack ? err.stack : err).slice(0, 2000);
    } finally {
      await context.close().catch(() => {});
    }
  };
  // One retry: an evaluation can fail for a reason outside the page's accessibility (see the
  // unhandledRejection note below); an error that repeats stays in result.errors and fails the test.
  const evaluateOne = async (target) => {
    const t0 = Date.now();
    await evaluateOnce(target, t0);
    if (result.errors[target.url]) {
      console.error(`retrying ${target.url}: ${result.errors[target.url].split('\n')[0]}`);
      await evaluateOnce(target, t0);
    }
    const outcome = result.errors[target.url] ? 'error' : `${result.pages[target.url].failed.length} failed`;
    console.error(`[${++done}/${job.targets.length}] ${((Date.now() - t0) / 1000).toFixed(1)} s ${outcome} ${target.url}`);
  };
  // a few pages at once in the one browser, each in its own browser context
  const worker = async () => {
    while (next < job.targets.length) await evaluateOne(job.targets[next++]);
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, job.concurrency || 1) }, worker));
  } finally {
    await browser.close();
  }
  result.seconds = (Date.now() - started) / 1000;
  writeFileSync(out, JSON.stringify(result, null, 1));
  const failed = Object.values(result.pages).reduce((n, p) => n + p.failed.length, 0);
  console.log(`qualweb: ${Object.keys(result.pages).length} pages, ${Object.keys(result.errors).length} errors, `
    + `${failed} failed rule outcomes, ${result.seconds.toFixed(1)} s`);
  process.exit(Object.keys(result.errors).length ? 1 : 0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
