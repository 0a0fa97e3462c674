// The naq web dashboard in headless Chromium. Run by run.sh, which starts a private nats-server,
// `naq worker work`, `naq scheduler`, `naq dashboard` and `naq dashboard --read-only`, and
// passes their addresses in DASHTEST_* variables. Every check is a named step printing
// "ok - <what>"; the first failing one prints "not ok - <what>" and why, saves a screenshot of
// the page it was on, and the test exits 1. It waits on conditions (selectors, functions,
// polling the CLI), never on fixed sleeps, except where the check is "nothing happens for N s".
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import puppeteer from 'puppeteer-core';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (run this through tests/browser/run.sh)`);
  return value;
};
const NAQ = env('DASHTEST_NAQ');
const NATS_URL = env('DASHTEST_NATS_URL');
const PREFIX = env('DASHTEST_PREFIX');
const BASE = env('DASHTEST_URL'); // http://127.0.0.1:PORT/
const RO_BASE = env('DASHTEST_READONLY_URL');
const TOKEN = fs.readFileSync(env('DASHTEST_TOKEN_FILE'), 'utf8').trim();
const CHROMIUM = env('DASHTEST_CHROMIUM');
const SHOTS = env('DASHTEST_SCREENSHOTS');
const SOURCE_DIR = env('DASHTEST_SOURCE_DIR');
const UPDATE_DOC_IMAGES = process.env.NAQ_UPDATE_SCREENSHOTS === '1';

const XSS = '<img src=x onerror=alert(1)>';
const WAIT_MS = 20000; // the longest any single condition may take
// data-action values that change nothing: a read-only dashboard may show these.
const HARMLESS_ACTIONS = new Set(['filter', 'first-page', 'prev-page', 'next-page']);

const t0 = Date.now();
const seconds = (since) => `${((Date.now() - since) / 1000).toFixed(1)}s`;

// ---------------------------------------------------------------- the CLI

const execFileP = promisify(execFile);

async function naq(...args) {
  try {
    const { stdout } = await execFileP(NAQ, ['--url', NATS_URL, '--prefix', PREFIX, '--log-level', 'warn', ...args],
      { timeout: 30000 });
    return stdout;
  } catch (e) {
    // e.message has the command line and its stderr.
    throw new Error(`${e.message.trim()}${e.stdout ? `\nstdout: ${e.stdout.trim()}` : ''}`);
  }
}
const naqJson = async (...args) => JSON.parse(await naq('--json', ...args));
// `naq --json events --job ID`: one JSON object per line.
const eventsOf = async (id) => (await naq('--json', 'events', '--job', id))
  .split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));

async function enqueue(task, queue, args, ...more) {
  const out = await naqJson('enqueue', task, '--queue', queue, '--args', JSON.stringify(args), ...more);
  if (!out.id) throw new Error(`naq enqueue printed no id: ${JSON.stringify(out)}`);
  return out.id;
}

// Polls fn until it returns something truthy; fails with `what` and the last value seen.
async function until(what, fn, timeoutMs = WAIT_MS, everyMs = 200) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

async function jobState(id, state) {
  let rec = null;
  try {
    await until(`job ${id} to be ${state}`, async () => {
      rec = await naqJson('job', id);
      return rec.state === state;
    });
  } catch (e) {
    throw new Error(`${e.message}; last record: ${JSON.stringify(rec)}`);
  }
  return rec;
}

// ---------------------------------------------------------------- the browser

const problems = []; // CSP violations, page errors, console errors, dialogs: none allowed

function watch(page, label) {
  page.on('console', (msg) => {
    const text = msg.text();
    if (text.includes('Content Security Policy')) problems.push(`${label}: CSP violation: ${text} (${page.url()})`);
    else if (msg.type() === 'error') problems.push(`${label}: console error: ${text} (${page.url()})`);
  });
  page.on('pageerror', (err) => problems.push(`${label}: JavaScript error: ${err.message} (${page.url()})`));
  page.on('dialog', async (dialog) => {
    problems.push(`${label}: a ${dialog.type()} dialog opened: ${JSON.stringify(dialog.message())} (${page.url()})`);
    await dialog.dismiss().catch(() => {});
  });
  // Chromium logs CSP violations itself; this makes sure each also reaches the console.
  return page.evaluateOnNewDocument(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Content Security Policy violation: ${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
}

const TITLES = {
  overview: () => 'Overview',
  queue: (arg) => `Queue ${arg}`,
  job: (arg) => `Job ${arg}`,
  dead: () => 'Dead letters',
  schedules: () => 'Schedules',
  workers: () => 'Workers',
};

// Waits until the page `name` (of app.js's PAGES) is shown and its data loaded.
async function loaded(page, name, arg) {
  const title = `${TITLES[name](arg)} · naq`;
  try {
    await page.waitForFunction((n, t) => document.body.dataset.page === n && document.title === t
      && document.querySelector('#page')?.dataset.loaded === '1', { timeout: WAIT_MS }, name, title);
  } catch (e) {
    const seen = await page.evaluate(() => ({
      url: location.href, title: document.title, page: document.body.dataset.page,
      loaded: document.querySelector('#page')?.dataset.loaded, message: document.querySelector('#message')?.textContent,
    })).catch(() => ({}));
    throw new Error(`the ${name} page did not load: ${JSON.stringify(seen)}`);
  }
}

async function clickNav(page, nav) {
  await page.click(`a[data-nav="${nav}"]`);
  await loaded(page, nav);
}

async function gotoHash(page, base, hash, name, arg) {
  await page.goto(`${base}${hash}`);
  await loaded(page, name, arg);
}

// page.waitForFunction with a description of what was awaited, and what was there instead.
async function waitFor(page, what, fn, args = [], describe = null) {
  try {
    await page.waitForFunction(fn, { timeout: WAIT_MS, polling: 100 }, ...args);
  } catch (e) {
    const seen = describe ? await page.evaluate(describe, ...args).catch((x) => `(${x.message})`) : '';
    throw new Error(`timed out waiting for ${what}${seen ? `; the page shows: ${JSON.stringify(seen)}` : ''}`);
  }
}

const text = (page, selector) => page.$eval(selector, (n) => n.textContent.trim());

// A PNG of the 1280x800 viewport (fullPage: the whole page, 1280 wide).
async function shot(page, name, fullPage = false) {
  const file = path.join(SHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

async function signIn(page, base, token) {
  await page.goto(base);
  await page.waitForSelector('input#token');
  await page.type('input#token', token);
  await Promise.all([page.waitForNavigation({ timeout: WAIT_MS }), page.click('form button[type=submit]')]);
}

// fetch from node (not the browser): no cookie unless given.
async function call(base, method, urlPath, { cookie, bearer, csrf, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (cookie) headers.Cookie = cookie;
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (csrf) headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(new URL(urlPath, base), {
    method, headers, redirect: 'manual', body: body === undefined ? undefined : JSON.stringify(body),
  });
  const raw = await res.text();
  let json = null;
  try { json = JSON.parse(raw); } catch (e) { /* not JSON */ }
  return { status: res.status, json, raw, location: res.headers.get('location') };
}

function expectStatus(res, status, what) {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${res.raw.slice(0, 300)}`);
}

// ---------------------------------------------------------------- steps

let currentPage = null; // screenshotted when a step fails
let stepNo = 0;

async function step(what, fn) {
  stepNo += 1;
  const started = Date.now();
  try {
    await fn();
  } catch (e) {
    console.log(`not ok - ${what}`);
    console.error(`FAIL: ${what}: ${e.message}`);
    e.reported = true;
    if (currentPage) {
      const file = path.join(SHOTS, `failure-step-${stepNo}.png`);
      await currentPage.screenshot({ path: file }).then(() => console.error(`  (screenshot of the page: ${file}, at ${currentPage.url()})`), () => {});
    }
    throw e;
  }
  console.log(`ok - ${what} (${seconds(started)})`);
}

// ---------------------------------------------------------------- the test

const jobs = {};
let browser = null;

async function main() {
  await step('setup: jobs enqueued and run through the CLI', async () => {
    // Nobody serves "idle": its 3 jobs stay pending.
    jobs.idle = [];
    for (let i = 1; i <= 3; i += 1) jobs.idle.push(await enqueue('echo', 'idle', { n: i }));
    // The worker serves "work": two jobs that succeed, one that fails once and then succeeds,
    // and one whose error is HTML, dead-lettered at its only attempt.
    jobs.good = [await enqueue('echo', 'work', { hello: 'dashboard' }), await enqueue('echo', 'work', { hello: 'again' })];
    jobs.retry = await enqueue('fail', 'work', { message: 'flaky: the first attempt fails', times: 1 }, '--max-attempts', '3');
    jobs.xss = await enqueue('fail', 'work', { message: XSS }, '--max-attempts', '1');
    for (const id of jobs.good) await jobState(id, 'succeeded');
    await jobState(jobs.retry, 'succeeded');
    const dead = await jobState(jobs.xss, 'dead');
    if (dead.error !== XSS) throw new Error(`the failed job's error is ${JSON.stringify(dead.error)}`);
  });

  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    defaultViewport: { width: 1280, height: 800 },
  });
  const page = await browser.newPage();
  currentPage = page;
  await watch(page, 'dashboard');

  await step('sign-in: a wrong token stays on /login and says it was wrong', async () => {
    await page.goto(BASE);
    if (new URL(page.url()).pathname !== '/login') throw new Error(`unsigned visit to / landed on ${page.url()}, not /login`);
    await signIn(page, BASE, `${TOKEN}-wrong`);
    const url = new URL(page.url());
    if (url.pathname !== '/login' || !url.searchParams.has('failed')) throw new Error(`a wrong token led to ${page.url()}`);
    await page.waitForSelector('#message:not([hidden])', { timeout: WAIT_MS });
    const said = await text(page, '#message');
    if (!/wrong token/i.test(said)) throw new Error(`#message says ${JSON.stringify(said)}`);
  });

  await step('API calls without a session (or with a wrong token) answer 401', async () => {
    for (const p of ['/api/session', '/api/overview', '/api/jobs/' + jobs.xss, '/api/events/stream']) {
      const res = await call(BASE, 'GET', p);
      expectStatus(res, 401, `GET ${p} without a session`);
      if (!res.json || typeof res.json.error !== 'string') throw new Error(`GET ${p}: no {"error": …}: ${res.raw}`);
    }
    expectStatus(await call(BASE, 'GET', '/api/overview', { bearer: `${TOKEN}x` }), 401, 'GET /api/overview with a wrong bearer token');
    expectStatus(await call(BASE, 'POST', '/api/dead/purge', { body: {} }), 401, 'POST /api/dead/purge without a session');
    const root = await call(BASE, 'GET', '/');
    if (root.status !== 303 || root.location !== '/login') throw new Error(`GET / without a session: ${root.status} ${root.location}`);
  });

  await step('sign-in: the right token shows the overview', async () => {
    await signIn(page, BASE, TOKEN);
    if (new URL(page.url()).pathname !== '/') throw new Error(`the right token led to ${page.url()}`);
    await loaded(page, 'overview');
    if (await page.$eval('#read-only-badge', (n) => !n.hidden)) throw new Error('a writable dashboard shows the read-only badge');
    const version = await text(page, '#version');
    if (!version.includes(`prefix ${PREFIX}`)) throw new Error(`the header says ${JSON.stringify(version)}`);
    const cookies = await page.evaluate(() => document.cookie);
    if (cookies.includes('naq_session')) throw new Error('the session cookie is readable by page scripts (not HttpOnly)');
  });

  await step('overview: each queue row shows its counts (idle: 3 pending, no worker; work: 1 dead, 1 worker)', async () => {
    const want = {
      idle: { pending: '3', in_flight: '0', dead: '0', workers: '0' },
      work: { pending: '0', in_flight: '0', dead: '1', workers: '1' },
    };
    await waitFor(page, 'the queue rows to show the counts', (w) => Object.entries(w).every(([q, cols]) =>
      Object.entries(cols).every(([c, v]) =>
        document.querySelector(`tr[data-queue="${q}"] td[data-col="${c}"]`)?.textContent.trim() === v)),
    [want], (w) => Object.fromEntries(Object.keys(w).map((q) => [q,
      document.querySelector(`tr[data-queue="${q}"]`)?.textContent.trim() ?? '(no row)'])));
  });

  await step('queue page: its recent jobs with their states', async () => {
    await page.click('tr[data-queue="work"] td[data-col="queue"] a');
    await loaded(page, 'queue', 'work');
    const want = { [jobs.good[0]]: 'succeeded', [jobs.good[1]]: 'succeeded', [jobs.retry]: 'succeeded', [jobs.xss]: 'dead' };
    await waitFor(page, 'the recent jobs to show their states', (w) => Object.entries(w).every(([id, state]) =>
      document.querySelector(`tr[data-job="${id}"] td[data-col="state"]`)?.textContent.trim() === state),
    [want], () => [...document.querySelectorAll('tr[data-job]')].map((r) => r.textContent.trim()));
    await shot(page, 'queue');
  });

  await step('job page: a finished job shows its state and a timeline with enqueued, started, succeeded', async () => {
    await page.click(`tr[data-job="${jobs.retry}"] a[href^="#/job/"]`);
    await loaded(page, 'job', jobs.retry);
    await waitFor(page, 'state "succeeded" and a timeline enqueued … started … succeeded', () => {
      const types = [...document.querySelectorAll('#timeline li[data-event-type]')].map((li) => li.dataset.eventType);
      const e = types.indexOf('enqueued');
      const s = types.indexOf('started');
      return document.querySelector('#job-state')?.textContent.trim() === 'succeeded'
        && e >= 0 && s > e && types.lastIndexOf('succeeded') > s;
    }, [], () => ({
      state: document.querySelector('#job-state')?.textContent,
      timeline: [...document.querySelectorAll('#timeline li[data-event-type]')].map((li) => li.dataset.eventType),
    }));
    // It failed once before it succeeded: both attempts are on the page.
    const types = await page.$$eval('#timeline li[data-event-type]', (lis) => lis.map((li) => li.dataset.eventType));
    if (types.filter((t) => t === 'started').length !== 2 || !types.includes('failed')) {
      throw new Error(`the timeline of a job that failed once then succeeded: ${types.join(', ')}`);
    }
    await shot(page, 'job', true); // down to the timeline, which docs/dashboard.md's caption names
  });

  await step(`job page: the error ${XSS} is shown as text, and nothing in it runs`, async () => {
    await gotoHash(page, BASE, `#/job/${encodeURIComponent(jobs.xss)}`, 'job', jobs.xss);
    await waitFor(page, '#job-state "dead"', () => document.querySelector('#job-state')?.textContent.trim() === 'dead',
      [], () => document.querySelector('#job-state')?.textContent);
    const shown = await page.$eval('#job-error', (n) => ({ text: n.textContent, elements: n.childElementCount, imgs: n.querySelectorAll('img').length }));
    if (shown.text !== XSS) throw new Error(`#job-error holds ${JSON.stringify(shown.text)}, not the literal error text`);
    if (shown.elements !== 0 || shown.imgs !== 0) throw new Error(`#job-error holds ${shown.elements} element(s), ${shown.imgs} img: the error was parsed as HTML`);
    const imgs = await page.$$eval('img', (list) => list.length);
    if (imgs !== 0) throw new Error(`the job page holds ${imgs} <img> element(s)`);
    const attempts = await page.$$eval('ol.errors pre.error-text', (list) => list.map((n) => n.textContent));
    if (attempts.length !== 1 || attempts[0] !== XSS) throw new Error(`the errors of every attempt: ${JSON.stringify(attempts)}`);
    const dialogs = problems.filter((p) => p.includes('dialog'));
    if (dialogs.length) throw new Error(dialogs.join('; '));
  });

  await step('dead letters: Requeue in its row makes the job run again (a second "started" through the CLI)', async () => {
    const before = await eventsOf(jobs.xss);
    const startedBefore = before.filter((e) => e.type === 'started').length;
    if (startedBefore !== 1) throw new Error(`before the requeue the job has ${startedBefore} "started" events`);
    await clickNav(page, 'dead');
    const row = `tr[data-dead="${jobs.xss}"]`;
    await page.waitForSelector(`${row} button[data-action="requeue"]:not([disabled])`, { timeout: WAIT_MS });
    const sequence = await page.$eval(row, (r) => r.dataset.sequence);
    const errorCell = await page.$eval(`${row} td.error-text`, (n) => ({ text: n.textContent, elements: n.childElementCount }));
    if (errorCell.text !== XSS || errorCell.elements !== 0) throw new Error(`the dead letter's error cell: ${JSON.stringify(errorCell)}`);
    await shot(page, 'dead');
    await page.click(`${row} button[data-action="requeue"]`);
    await waitFor(page, `the message "Requeued ${jobs.xss}."`, (id) =>
      document.querySelector('#message:not([hidden])')?.textContent.includes(`Requeued ${id}.`),
    [jobs.xss], () => document.querySelector('#message')?.textContent);
    // `fail` without "times" fails every attempt, and a requeued job starts again at attempt 1:
    // it runs once more (started, attempt 1), fails and is dead-lettered again.
    const events = await until('a second "started" event of the requeued job (naq events --job)', async () => {
      const evs = await eventsOf(jobs.xss);
      return evs.filter((e) => e.type === 'started').length >= 2 && evs.filter((e) => e.type === 'dead_lettered').length >= 2 && evs;
    });
    const starts = events.filter((e) => e.type === 'started');
    if (starts.length !== 2 || starts[1].attempt !== 1) {
      throw new Error(`"started" events after the requeue: ${JSON.stringify(starts)} (want 2, the second at attempt 1)`);
    }
    const rec = await naqJson('job', jobs.xss);
    if (rec.state !== 'dead' || rec.attempt !== 1 || rec.error !== XSS) throw new Error(`the job's record after it ran again: ${JSON.stringify(rec)}`);
    // The page shows the new dead letter (a new stream sequence) without a reload.
    await waitFor(page, 'the new dead letter of the job on the page', (r, s) => {
      const tr = document.querySelector(r);
      return tr && tr.dataset.sequence !== s;
    }, [row, sequence], (r) => document.querySelector(r)?.dataset.sequence ?? '(no row)');
  });

  await step('queue page: Pause stops its workers (overview and naq queues say paused); Resume runs what waited', async () => {
    await gotoHash(page, BASE, '#/queue/work', 'queue', 'work');
    await page.click('button[data-action="pause-queue"]');
    await waitFor(page, 'a Resume button', () => document.querySelector('button[data-action="resume-queue"]') !== null);
    const row = (await naqJson('queues')).find((q) => q.queue === 'work');
    if (!row || row.paused !== true) throw new Error(`naq queues after Pause: ${JSON.stringify(row)}`);
    const waiting = await enqueue('echo', 'work', { while: 'paused' });
    await clickNav(page, 'overview');
    await waitFor(page, 'the overview to show queue work paused', () =>
      document.querySelector('tr[data-queue="work"] td[data-col="state"]')?.textContent.trim() === 'paused');
    await shot(page, 'overview-paused');
    await new Promise((r) => setTimeout(r, 2000)); // the check is that nothing happens (the bound is 1 s)
    const held = await naqJson('job', waiting);
    if (held.state !== 'queued') throw new Error(`a job of a paused queue ran: ${JSON.stringify(held)}`);
    await gotoHash(page, BASE, '#/queue/work', 'queue', 'work');
    await page.click('button[data-action="resume-queue"]');
    await waitFor(page, 'a Pause button again', () => document.querySelector('button[data-action="pause-queue"]') !== null);
    await jobState(waiting, 'succeeded');
  });

  await step('schedules: a schedule fires; Pause on the page stops it, and the CLI shows it paused', async () => {
    const id = 'browser-every-second';
    await naq('schedule', 'add', 'echo', '--every', '1s', '--queue', 'work', '--id', id, '--args', '{"from":"schedule"}');
    await until(`schedule ${id} to fire twice (naq schedule show)`, async () => (await naqJson('schedule', 'show', id)).fired >= 2);
    await clickNav(page, 'schedules');
    const row = `tr[data-schedule="${id}"]`;
    await waitFor(page, 'the schedule row, active', (r) =>
      document.querySelector(`${r} td[data-col="state"]`)?.textContent.trim() === 'active', [row]);
    await page.click(`${row} button[data-action="pause"]`);
    await waitFor(page, 'the schedule shown paused, with a Resume button', (r) =>
      document.querySelector(`${r} td[data-col="state"]`)?.textContent.trim() === 'paused'
      && document.querySelector(`${r} button[data-action="resume"]`) !== null,
    [row], (r) => document.querySelector(r)?.textContent);
    const paused = await naqJson('schedule', 'show', id);
    if (paused.paused !== true) throw new Error(`naq schedule show after Pause: ${JSON.stringify(paused)}`);
    await shot(page, 'schedules');
    await new Promise((r) => setTimeout(r, 3000)); // the check is that nothing happens
    const later = await naqJson('schedule', 'show', id);
    if (later.fired !== paused.fired || later.paused !== true) {
      throw new Error(`a paused schedule fired: runs ${paused.fired} -> ${later.fired} in 3 s (${JSON.stringify(later)})`);
    }
    const list = await naqJson('schedule', 'list');
    const listed = (Array.isArray(list) ? list : list.schedules || []).find((s) => s.id === id);
    if (!listed || listed.paused !== true) throw new Error(`naq schedule list: ${JSON.stringify(listed)}`);
    // Resume: it fires again.
    await page.click(`${row} button[data-action="resume"]`);
    await waitFor(page, 'the schedule shown active again', (r) =>
      document.querySelector(`${r} td[data-col="state"]`)?.textContent.trim() === 'active', [row]);
    await until(`schedule ${id} to fire again after Resume`, async () => (await naqJson('schedule', 'show', id)).fired > later.fired);
  });

  await step('live: the indicator says live and a new event updates the overview without a reload', async () => {
    await clickNav(page, 'overview');
    await waitFor(page, '#live[data-state="live"]', () => document.querySelector('#live')?.dataset.state === 'live',
      [], () => document.querySelector('#live')?.dataset.state);
    const liveText = await text(page, '#live');
    if (liveText !== 'live') throw new Error(`#live says ${JSON.stringify(liveText)}`);
    await page.evaluate(() => { window.naqTestNoReload = true; });
    const id = await enqueue('echo', 'idle', { n: 4 });
    jobs.idle.push(id);
    // The live events table is filled only from the event stream.
    await waitFor(page, `the enqueued event of ${id} in the live events and idle pending 4`, (j) =>
      document.querySelector(`#feed tr[data-event-type="enqueued"] a[href="#/job/${encodeURIComponent(j)}"]`) !== null
      && document.querySelector('tr[data-queue="idle"] td[data-col="pending"]')?.textContent.trim() === '4',
    [id], () => ({
      pending: document.querySelector('tr[data-queue="idle"] td[data-col="pending"]')?.textContent,
      feed: [...document.querySelectorAll('#feed tr[data-event-type]')].slice(0, 5).map((r) => r.textContent),
    }));
    if (!(await page.evaluate(() => window.naqTestNoReload === true))) throw new Error('the page was reloaded');
    await shot(page, 'overview');
  });

  await step('workers page: the worker, its state and queues', async () => {
    await clickNav(page, 'workers');
    await waitFor(page, 'a worker row serving "work"', () => [...document.querySelectorAll('tr[data-worker]')].some((r) =>
      r.querySelector('a[href="#/queue/work"]') && r.querySelector('td[data-col="state"]')?.textContent.trim()),
    [], () => [...document.querySelectorAll('tr[data-worker]')].map((r) => r.textContent));
    await shot(page, 'workers');
  });

  await step('CSRF: a POST with the session cookie but no X-CSRF-Token gets 403; with a bearer token, 200', async () => {
    const session = (await page.cookies(BASE)).find((c) => c.name === 'naq_session');
    if (!session) throw new Error('no naq_session cookie after signing in');
    if (!session.httpOnly) throw new Error('the naq_session cookie is not HttpOnly');
    const cookie = `naq_session=${session.value}`;
    const body = { queue: 'no-such-queue' }; // purges nothing
    const noCsrf = await call(BASE, 'POST', '/api/dead/purge', { cookie, body });
    expectStatus(noCsrf, 403, 'POST /api/dead/purge with the cookie and no X-CSRF-Token');
    if (!/csrf/i.test(noCsrf.json?.error || '')) throw new Error(`the 403 says ${noCsrf.raw}`);
    expectStatus(await call(BASE, 'POST', '/api/dead/purge', { cookie, body, csrf: 'not-the-token' }), 403,
      'POST /api/dead/purge with the cookie and a wrong X-CSRF-Token');
    const s = await call(BASE, 'GET', '/api/session', { cookie });
    expectStatus(s, 200, 'GET /api/session with the cookie');
    expectStatus(await call(BASE, 'POST', '/api/dead/purge', { cookie, body, csrf: s.json.csrf }), 200,
      'POST /api/dead/purge with the cookie and the right X-CSRF-Token');
    const bearer = await call(BASE, 'POST', '/api/dead/purge', { bearer: TOKEN, body });
    expectStatus(bearer, 200, 'POST /api/dead/purge with Authorization: Bearer and no X-CSRF-Token');
    if (bearer.json?.purged !== 0) throw new Error(`purging a queue without dead letters: ${bearer.raw}`);
  });

  await step('read-only dashboard: the badge, no button that changes anything, POSTs refused with 403', async () => {
    const context = await browser.createBrowserContext(); // its own cookies: both dashboards are on 127.0.0.1
    const ro = await context.newPage();
    currentPage = ro;
    await watch(ro, 'read-only dashboard');
    await signIn(ro, RO_BASE, TOKEN);
    await loaded(ro, 'overview');
    await ro.waitForSelector('#read-only-badge', { visible: true, timeout: WAIT_MS });
    await ro.waitForSelector('tr[data-queue="work"]', { timeout: WAIT_MS });
    await shot(ro, 'overview-read-only');
    const pages = [
      ['#/', 'overview', undefined, 'tr[data-queue="work"]'],
      ['#/queue/work', 'queue', 'work', `tr[data-job="${jobs.xss}"]`],
      [`#/job/${encodeURIComponent(jobs.xss)}`, 'job', jobs.xss, '#job-error'],  // has a dead letter
      [`#/job/${encodeURIComponent(jobs.idle[0])}`, 'job', jobs.idle[0], '#timeline'], // queued: cancellable
      ['#/dead', 'dead', undefined, `tr[data-dead="${jobs.xss}"]`],
      ['#/schedules', 'schedules', undefined, 'tr[data-schedule="browser-every-second"]'],
      ['#/workers', 'workers', undefined, 'tr[data-worker]'],
    ];
    for (const [hash, name, arg, content] of pages) {
      await gotoHash(ro, RO_BASE, hash, name, arg);
      await ro.waitForSelector(content, { timeout: WAIT_MS }).catch(() => {
        throw new Error(`read-only ${hash}: ${content} is not on the page`);
      });
      await ro.waitForSelector('#read-only-badge', { visible: true, timeout: WAIT_MS });
      const actions = await ro.$$eval('button[data-action]', (list) => list.map((b) => b.dataset.action));
      const changing = actions.filter((a) => !HARMLESS_ACTIONS.has(a));
      if (changing.length) throw new Error(`read-only ${hash} offers ${changing.join(', ')}`);
    }
    const bearer = await call(RO_BASE, 'POST', '/api/dead/purge', { bearer: TOKEN, body: {} });
    expectStatus(bearer, 403, 'read-only: POST /api/dead/purge with Authorization: Bearer');
    if (!/read-only/i.test(bearer.json?.error || '')) throw new Error(`the 403 says ${bearer.raw}`);
    const session = (await ro.cookies(RO_BASE)).find((c) => c.name === 'naq_session');
    const cookie = `naq_session=${session.value}`;
    const s = await call(RO_BASE, 'GET', '/api/session', { cookie });
    if (s.json?.read_only !== true) throw new Error(`read-only /api/session: ${s.raw}`);
    expectStatus(await call(RO_BASE, 'POST', `/api/schedules/browser-every-second/pause`, { cookie, csrf: s.json.csrf, body: {} }), 403,
      'read-only: POST …/pause with the cookie and the CSRF token');
    expectStatus(await call(RO_BASE, 'POST', '/api/dead/requeue', { cookie, csrf: s.json.csrf, body: { job_id: jobs.xss } }), 403,
      'read-only: POST /api/dead/requeue with the cookie and the CSRF token');
    const dead = await naqJson('dead', 'list');
    if (!(Array.isArray(dead) ? dead : dead.items || []).some((d) => d.id === jobs.xss)) throw new Error('the dead letter is gone after read-only POSTs');
    currentPage = page;
    await context.close();
  });

  await step('no page logged a Content Security Policy violation or a JavaScript error, and no dialog opened', async () => {
    if (problems.length) throw new Error(`\n  ${problems.join('\n  ')}`);
  });

  if (UPDATE_DOC_IMAGES) {
    const images = path.join(SOURCE_DIR, 'docs', 'images');
    fs.mkdirSync(images, { recursive: true });
    for (const name of ['overview', 'job']) {
      fs.copyFileSync(path.join(SHOTS, `${name}.png`), path.join(images, `dashboard-${name}.png`));
    }
    console.log(`# NAQ_UPDATE_SCREENSHOTS=1: wrote docs/images/dashboard-overview.png and dashboard-job.png`);
  }
}

let code = 0;
try {
  await main();
  console.log(`# screenshots in ${SHOTS}`);
  console.log(`${stepNo} passed, 0 failed (${seconds(t0)})`);
} catch (e) {
  if (!e.reported) console.error(`FAIL: ${e.stack || e.message}`);
  console.log(`${stepNo - 1} passed, 1 failed (${seconds(t0)})`);
  code = 1;
} finally {
  if (browser) await browser.close().catch(() => {});
}
process.exit(code);
