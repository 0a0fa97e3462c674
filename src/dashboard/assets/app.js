// naq dashboard: one page, no framework, no build step.
// Rule of the house: text from the server goes into the page only as text (textContent,
// createTextNode, attribute setters) — never as HTML — so a job error like
// `<img src=x onerror=…>` shows literally. The CSP forbids inline scripts and styles anyway.
'use strict';

const FEED_MAX = 50;              // live events kept on the overview
const MIN_REFRESH_MS = 1000;      // events re-fetch the page at most once a second
const FALLBACK_REFRESH_MS = 5000; // and the page is re-fetched this often regardless
const SPARK_WINDOW_MS = 15 * 60 * 1000;
const CANCELLABLE = new Set(['queued', 'waiting', 'retrying', 'running', 'scheduled']);

// ---------------------------------------------------------------- DOM helpers

// el('a', {href: '#/', class: 'x', onclick: fn}, 'text', node, [more]) — children may be
// strings (inserted as text), nodes, arrays, or null/false (skipped).
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

function svg(tag, attrs) {
  const node = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttrs(node, attrs);
  return node;
}

function setAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
}

function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

const $ = (selector) => document.querySelector(selector);
// A render's output (a node, or nested arrays with null/false holes) as a flat list for replaceChildren.
const nodes = (out) => [out].flat(Infinity).filter((n) => n != null && n !== false);
const has = (obj, key) => obj != null && Object.prototype.hasOwnProperty.call(obj, key);
const enc = encodeURIComponent;
const td = (attrs, ...children) => el('td', attrs, ...children);
const num = (label) => ({ label, num: true }); // a right-aligned column header

// table([...headers], rows, 'shown when empty'): headers are strings or num('x').
function table(headers, rows, empty, attrs) {
  if (!rows.length) return el('p', { class: 'empty' }, empty);
  const head = headers.filter((h) => h !== null).map((h) =>
    typeof h === 'string' ? el('th', {}, h) : el('th', { class: 'num' }, h.label));
  return el('div', { class: 'table-wrap' },
    el('table', attrs, el('thead', {}, el('tr', {}, head)), el('tbody', {}, rows)));
}

// kv([[label, value], ...]): a two-column facts table; rows whose value is null are left out.
function kv(pairs) {
  const rows = pairs.filter(([, v]) => v != null && v !== '').map(([k, v]) =>
    el('tr', {}, el('th', { scope: 'row' }, k), el('td', {}, v)));
  return el('table', { class: 'kv' }, el('tbody', {}, rows));
}

const pre = (value) => el('pre', { class: 'json' },
  typeof value === 'string' ? value : JSON.stringify(value, null, 2));

// ---------------------------------------------------------------- formatting

let skewMs = 0; // server clock minus ours (from /api/overview's "now"), so ages match the server
const now = () => Date.now() + skewMs;

// Same buckets as the CLI's format_age: 90s, 5m, 3h, 2d.
function age(ms) {
  ms = Math.max(0, Math.round(ms));
  if (ms < 120e3) return `${Math.floor(ms / 1e3)}s`;
  if (ms < 7200e3) return `${Math.floor(ms / 60e3)}m`;
  if (ms < 172800e3) return `${Math.floor(ms / 3600e3)}h`;
  return `${Math.floor(ms / 86400e3)}d`;
}

function iso(ms) {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? String(ms) : d.toISOString();
}

// A <time> saying "12s ago" / "in 3m", with the exact ISO time as its tooltip.
function when(ms) {
  if (typeof ms !== 'number' || !ms) return el('span', { class: 'muted' }, '—');
  const delta = ms - now();
  const text = Math.abs(delta) < 1000 ? 'now' : delta > 0 ? `in ${age(delta)}` : `${age(-delta)} ago`;
  return el('time', { datetime: iso(ms), title: iso(ms) }, text);
}

function duration(ms) {
  if (typeof ms !== 'number') return null;
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60e3) return `${(ms / 1e3).toFixed(1)} s`;
  return age(ms);
}

const rate = (v) => (typeof v === 'number' ? v.toFixed(1) : '—');
const count = (v) => (v == null ? '—' : String(v));

// Badge colours by meaning; anything unknown is grey.
const TONE = new Map(Object.entries({
  succeeded: 'green', schedule_resumed: 'green', active: 'green',
  failed: 'red', dead: 'red', dead_lettered: 'red', dependency_failed: 'red',
  undecodable: 'red', unknown_task: 'red', max_deliveries: 'red',
  running: 'blue', started: 'blue', busy: 'blue', schedule_fired: 'blue',
  queued: 'grey', enqueued: 'grey', deduplicated: 'grey', progress: 'blue', idle: 'grey', worker_started: 'grey',
  scheduled: 'amber', waiting: 'amber', retrying: 'amber', retry_scheduled: 'amber',
  paused: 'amber', schedule_paused: 'amber', queue_paused: 'amber', starting: 'amber', queue_resumed: 'green',
  cancelled: 'dark', stopping: 'dark', worker_stopped: 'dark',
}));

function badge(word, attrs) {
  const text = word == null ? 'unknown' : String(word);
  return el('span', { ...attrs, class: `badge tone-${TONE.get(text) || 'grey'}` }, text);
}

const jobHref = (id) => `#/job/${enc(id)}`;
const queueHref = (q) => `#/queue/${enc(q)}`;
const deadHref = (q) => `#/dead?${new URLSearchParams({ queue: q })}`;

function jobLink(id) {
  if (id == null || id === '') return el('span', { class: 'muted' }, '—');
  return el('a', { href: jobHref(id), class: 'mono' }, String(id));
}

function queueLink(q) {
  if (q == null || q === '') return el('span', { class: 'muted' }, '—');
  return el('a', { href: queueHref(q) }, String(q));
}

// One line of error text, cut for tables; the full text is the tooltip.
function errorCell(text) {
  if (text == null || text === '') return td({ class: 'muted' }, '—');
  const s = String(text);
  return td({ class: 'error-text trunc', title: s }, s.length > 200 ? `${s.slice(0, 200)}…` : s);
}

// ---------------------------------------------------------------- server access

let session = { read_only: true, csrf: '', version: '', prefix: '' };
const canWrite = () => session.read_only === false;

class ApiError extends Error {
  constructor(message, status) { super(message); this.status = status; }
}

async function api(path, init) {
  let res;
  try {
    res = await fetch(path, { credentials: 'same-origin', headers: { Accept: 'application/json' }, ...init });
  } catch (e) {
    throw new ApiError('the dashboard server cannot be reached', 0);
  }
  if (res.status === 401) {
    location.assign('/login');
    throw new ApiError('not signed in', 401);
  }
  const text = await res.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (e) { /* an error page that is not JSON */ }
  if (!res.ok) {
    throw new ApiError(body && typeof body.error === 'string' ? body.error : `${res.status} ${res.statusText}`, res.status);
  }
  return body;
}

function post(path, body) {
  return api(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'X-CSRF-Token': session.csrf, 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(body || {}),
  });
}

// ---------------------------------------------------------------- messages

let messageTimer = null;
let messageFromLoad = false; // a failed refresh's message goes away once a refresh works again

function say(text, kind, fromLoad) {
  const box = $('#message');
  if (!box) return;
  clearTimeout(messageTimer);
  box.replaceChildren(el('span', {}, text),
    el('button', { type: 'button', class: 'close', 'aria-label': 'dismiss', title: 'dismiss', onclick: hush }));
  box.className = kind === 'error' ? 'error' : 'info';
  box.hidden = false;
  messageFromLoad = Boolean(fromLoad);
  if (kind !== 'error') messageTimer = setTimeout(hush, 10000);
}

function hush() {
  const box = $('#message');
  if (!box) return;
  box.hidden = true;
  box.replaceChildren();
  messageFromLoad = false;
}

// Runs a mutation from a button: optional confirm(), the button disabled meanwhile, the
// outcome (or the server's error text) in #message, then a fresh load of the page.
async function act(button, question, request, describe) {
  if (question && !window.confirm(question)) return;
  if (button) button.disabled = true;
  try {
    say(describe(await request()), 'info');
  } catch (e) {
    if (e.status !== 401) say(e.message, 'error');
  } finally {
    if (button) button.disabled = false;
    load();
  }
}

const button = (action, label, onclick, attrs) =>
  el('button', { type: 'button', 'data-action': action, onclick, ...attrs }, label);

// ---------------------------------------------------------------- routing and refresh

const ROUTES = new Map([['/', 'overview'], ['/dead', 'dead'], ['/schedules', 'schedules'], ['/workers', 'workers']]);

// Hash routes: #/, #/queue/<name>, #/job/<id>, #/dead[?queue=&task=&reason=], #/schedules, #/workers
function parseRoute() {
  const hash = location.hash.replace(/^#/, '') || '/';
  const cut = hash.indexOf('?');
  const path = cut < 0 ? hash : hash.slice(0, cut);
  const query = new URLSearchParams(cut < 0 ? '' : hash.slice(cut + 1));
  const m = /^\/(queue|job)\/(.+)$/.exec(path);
  if (m) {
    try { return { name: m[1], arg: decodeURIComponent(m[2]) }; } catch (e) { return { name: 'missing', arg: hash }; }
  }
  const name = ROUTES.get(path);
  return name ? { name, query } : { name: 'missing', arg: hash };
}

const PAGES = {
  overview: { nav: 'overview', title: () => 'Overview', url: () => '/api/overview', render: renderOverview },
  queue: { nav: 'overview', title: (r) => `Queue ${r.arg}`, url: (r) => `/api/queues/${enc(r.arg)}`, render: renderQueue },
  job: { nav: null, title: (r) => `Job ${r.arg}`, url: (r) => `/api/jobs/${enc(r.arg)}`, render: renderJob },
  dead: { nav: 'dead', title: () => 'Dead letters', url: deadUrl, mount: mountDead, render: renderDead },
  schedules: { nav: 'schedules', title: () => 'Schedules', url: () => '/api/schedules', render: renderSchedules },
  workers: { nav: 'workers', title: () => 'Workers', url: () => '/api/workers', render: renderWorkers },
  missing: { nav: null, title: () => 'Not found', url: null, render: () => el('p', { class: 'empty' }, 'No such page.') },
};

let route = parseRoute();
let navToken = 0;      // bumped on navigation: answers for an earlier page are dropped
let loadingToken = -1; // the page whose load is in flight
let loadAgain = false; // an event came during that load: load once more after it
let lastLoad = 0;
let refreshTimer = null;

function navigate() {
  route = parseRoute();
  navToken += 1;
  const def = PAGES[route.name];
  const page = $('#page');
  page.dataset.loaded = '0';
  hush();
  for (const a of document.querySelectorAll('a[data-nav]')) {
    if (a.dataset.nav === def.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  document.title = `${def.title(route)} · naq`;
  page.replaceChildren(...nodes(def.mount ? def.mount(route) : []),
    el('div', { id: 'content' }, el('p', { class: 'muted' }, 'Loading…')));
  window.scrollTo(0, 0);
  load();
}

// Fetches the current page's data and replaces (never appends to) its content.
async function load() {
  const token = navToken;
  const r = route;
  const def = PAGES[r.name];
  if (loadingToken === token) { loadAgain = true; return; }
  loadingToken = token;
  loadAgain = false;
  lastLoad = Date.now();
  try {
    const data = def.url ? await api(def.url(r)) : null;
    if (token !== navToken) return;
    $('#content').replaceChildren(...nodes(def.render(data, r)));
    if (messageFromLoad) hush();
    $('#page').dataset.loaded = '1';
  } catch (e) {
    if (token !== navToken || e.status === 401) return;
    say(e.message, 'error', true);
    // Keep what is shown if this was a refresh; say why there is nothing on a first load.
    if ($('#page').dataset.loaded !== '1') $('#content').replaceChildren(el('p', { class: 'empty' }, e.message));
  } finally {
    if (token === navToken) document.body.dataset.page = r.name === 'missing' ? 'missing' : r.name;
    if (loadingToken === token) {
      loadingToken = -1;
      if (loadAgain && token === navToken) requestRefresh();
    }
  }
}

// Coalesces bursts of events into at most one load per MIN_REFRESH_MS.
function requestRefresh() {
  if (refreshTimer) return;
  const wait = Math.max(0, lastLoad + MIN_REFRESH_MS - Date.now());
  refreshTimer = setTimeout(() => { refreshTimer = null; load(); }, wait);
}

// ---------------------------------------------------------------- live events

const feed = []; // newest first, at most FEED_MAX: the page must not grow when left open
let source = null;

function setLive(state) {
  const live = $('#live');
  live.dataset.state = state;
  live.textContent = state === 'live' ? 'live' : 'reconnecting…';
  live.title = state === 'live' ? 'receiving events' : 'event stream interrupted; pages still refresh every 5 s';
}

function connectEvents() {
  source = new EventSource('/api/events/stream');
  source.onopen = () => setLive('live');
  source.onerror = () => {
    setLive('reconnecting');
    // The browser retries by itself unless the answer was not a stream (a 401, a 503):
    // then it gives up, so retry here — after checking the session, which sends a 401 to /login.
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      setTimeout(() => api('/api/session').then(connectEvents, (e) => { if (e.status !== 401) connectEvents(); }), 5000);
    }
  };
  source.onmessage = (msg) => {
    let record;
    try { record = JSON.parse(msg.data); } catch (e) { return; }
    if (!record || typeof record !== 'object') return;
    // One event per message, but accept a worker's {"events": [...]} batch too.
    for (const e of Array.isArray(record.events) ? record.events : [record]) {
      if (e && typeof e === 'object') feed.unshift(e);
    }
    if (feed.length > FEED_MAX) feed.length = FEED_MAX;
    requestRefresh();
  };
}

// ---------------------------------------------------------------- overview

function renderOverview(d) {
  if (typeof d.now === 'number') skewMs = d.now - Date.now();
  const queues = Array.isArray(d.queues) ? d.queues : [];
  const workers = d.workers || {};
  const sched = d.scheduler || {};
  const history = d.history || {};
  const rows = queues.map((q) => el('tr', { 'data-queue': q.queue },
    td({ 'data-col': 'queue' }, queueLink(q.queue)),
    td({ 'data-col': 'state', title: q.paused && q.paused_reason ? String(q.paused_reason) : null },
      badge(q.paused ? 'paused' : 'active')),
    td({ 'data-col': 'pending', class: 'num' }, count(q.pending)),
    td({ 'data-col': 'in_flight', class: 'num' }, count(q.in_flight)),
    td({ 'data-col': 'dead', class: q.dead > 0 ? 'num bad' : 'num' },
      q.dead > 0 ? el('a', { href: deadHref(q.queue) }, String(q.dead)) : count(q.dead)),
    td({ 'data-col': 'workers', class: q.workers === 0 && q.pending > 0 ? 'num warn' : 'num' }, count(q.workers)),
    td({ 'data-col': 'per_second', class: 'num' }, rate(q.per_second)),
    td({ class: 'spark-cell' }, sparkline(has(history, q.queue) ? history[q.queue] : []))));
  return [
    el('h1', {}, 'Overview'),
    el('div', { class: 'cards' },
      card('Workers', `${count(workers.online)} online`, `${count(workers.busy)} busy`, '#/workers'),
      card('Scheduler', sched.leader ? String(sched.leader) : 'no leader',
        sched.expires_at ? ['lease expires ', when(sched.expires_at)] : 'no scheduler holds the lease', '#/schedules'),
      card('Dead letters', count(d.dead_total), 'kept until requeued or purged', '#/dead'),
      card('Queues', String(queues.length), `${queues.reduce((n, q) => n + (q.pending || 0), 0)} jobs pending`)),
    el('h2', {}, 'Queues'),
    table(['Queue', 'State', num('Pending'), num('In flight'), num('Dead'), num('Workers'), num('Jobs/s'), 'Last 15 min'],
      rows, 'No queues yet: enqueue a job or start a worker.', { id: 'queues' }),
    el('h2', {}, 'Live events ', el('span', { class: 'muted small' }, `(last ${FEED_MAX} since this page opened)`)),
    table(['Time', 'Event', 'Queue / task', 'Job', 'Details'], feed.map(feedRow),
      'Waiting for events…', { id: 'feed' }),
  ];
}

function card(label, value, sub, href) {
  const body = [el('div', { class: 'card-label' }, label), el('div', { class: 'card-value' }, value),
    el('div', { class: 'card-sub' }, sub)];
  return href ? el('a', { class: 'card', href }, body) : el('div', { class: 'card' }, body);
}

function feedRow(e) {
  const where = e.queue && e.queue !== '_worker' && e.queue !== '_scheduler' ? [queueLink(e.queue), e.task ? ` / ${e.task}` : ''] : (e.task || '');
  const subject = e.job_id ? jobLink(e.job_id)
    : e.schedule_id ? el('span', { class: 'mono' }, `schedule ${e.schedule_id}`)
      : e.worker ? el('span', { class: 'mono' }, `worker ${e.worker}`) : '';
  return el('tr', { 'data-event-type': String(e.type) },
    td({}, when(e.at)), td({}, badge(e.type)), td({}, where), td({}, subject), td({ class: 'trunc' }, eventDetails(e)));
}

// attempt 2 · 15 ms · worker w1 · error text (literal)
function eventDetails(e) {
  const parts = [];
  if (e.attempt) parts.push(`attempt ${e.attempt}`);
  if (typeof e.duration_ms === 'number') parts.push(duration(e.duration_ms));
  if (typeof e.delay_ms === 'number') parts.push(`${e.type === 'retry_scheduled' ? 'retry in' : 'late'} ${duration(e.delay_ms)}`);
  if (e.worker && e.job_id) parts.push(`worker ${e.worker}`);
  const data = e.data && typeof e.data === 'object' ? e.data : {};
  if (e.type === 'progress' && typeof data.fraction === 'number') {
    parts.push(`${Math.round(Math.min(1, Math.max(0, data.fraction)) * 100)}%${data.message ? ` ${data.message}` : ''}`);
  }
  if ((e.type === 'queue_paused' || e.type === 'queue_resumed') && typeof data.reason === 'string' && data.reason) {
    parts.push(data.reason);
  }
  const text = parts.join(' · ');
  return [text, e.error ? el('span', { class: 'error-text', title: String(e.error) }, `${text ? ' · ' : ''}${e.error}`) : null];
}

// A polyline of jobs/s over a fixed 15-minute window, so queues compare at a glance.
function sparkline(points) {
  const W = 120, H = 28;
  const pts = (Array.isArray(points) ? points : [])
    .filter((p) => Array.isArray(p) && Number.isFinite(p[0]) && Number.isFinite(p[1]))
    .sort((a, b) => a[0] - b[0]);
  const chart = svg('svg', { width: W, height: H, viewBox: `0 0 ${W} ${H}`, class: 'spark', role: 'img' });
  if (pts.length < 2) return chart;
  const end = Math.max(pts[pts.length - 1][0], now());
  const start = end - SPARK_WINDOW_MS;
  const shown = pts.filter((p) => p[0] >= start);
  if (shown.length < 2) return chart;
  const peak = Math.max(...shown.map((p) => p[1]));
  const top = Math.max(peak, 0.1);
  const xy = shown.map(([t, v]) => [1 + ((t - start) / SPARK_WINDOW_MS) * (W - 2), H - 1 - (Math.max(0, v) / top) * (H - 3)]);
  const line = xy.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const title = svg('title');
  title.textContent = `peak ${peak.toFixed(1)} jobs/s, now ${shown[shown.length - 1][1].toFixed(1)} jobs/s`;
  chart.append(title,
    svg('polygon', { class: 'spark-area', points: `${xy[0][0].toFixed(1)},${H - 1} ${line} ${xy[xy.length - 1][0].toFixed(1)},${H - 1}` }),
    svg('polyline', { class: 'spark-line', points: line }));
  return chart;
}

// ---------------------------------------------------------------- queue

function renderQueue(d, r) {
  const q = r.arg;
  const s = d.stats || {};
  const recent = Array.isArray(d.recent) ? d.recent : [];
  const purge = canWrite() && button('purge', 'Purge pending jobs', (ev) => act(ev.currentTarget,
    `Purge every pending job of queue "${q}"? They will never run. This cannot be undone.`,
    () => post(`/api/queues/${enc(q)}/purge`, {}),
    (res) => `Purged ${count(res && res.purged)} job(s) from ${q}.`), { class: 'danger' });
  const pauseOrResume = canWrite() && (s.paused
    ? button('resume-queue', 'Resume', (ev) => act(ev.currentTarget, null,
      () => post(`/api/queues/${enc(q)}/resume`, {}), () => `Resumed ${q}: its workers fetch it again.`))
    : button('pause-queue', 'Pause', (ev) => act(ev.currentTarget, null,
      () => post(`/api/queues/${enc(q)}/pause`, {}), () => `Paused ${q}: its workers stop fetching it.`)));
  const state = s.paused
    ? card('State', badge('paused'), [s.paused_reason ? `${s.paused_reason} · ` : '', 'since ', when(s.paused_at)])
    : card('State', badge('active'), 'workers fetch it');
  const limits = card('Limits',
    s.rate_max > 0 ? `${count(s.rate_max)} per ${duration(s.rate_period_ms)}` : 'no rate limit',
    s.concurrency_limit > 0 ? `${count(s.concurrency_limit)} at once` : 'no concurrency limit');
  const rows = recent.map((j) => el('tr', { 'data-job': j.id },
    td({}, jobLink(j.id)), td({}, j.task || ''), td({ 'data-col': 'state' }, badge(j.state)),
    td({ class: 'num' }, count(j.attempt)), td({}, when(j.at)),
    td({ class: 'num' }, duration(j.duration_ms) || '—'), errorCell(j.error)));
  return [
    el('div', { class: 'page-head' }, el('h1', {}, 'Queue ', el('span', { class: 'mono' }, q)), pauseOrResume, purge),
    el('div', { class: 'cards' },
      state,
      limits,
      card('Pending', count(s.pending),
        `${count(s.stored)} stored` + (s.pending_high > 0 || s.pending_low > 0
          ? ` · ${count(s.pending_high)} high · ${count(s.pending_low)} low` : '')),
      card('In flight', count(s.in_flight), `${count(s.redelivered)} redelivered`),
      card('Dead letters', count(s.dead), s.dead > 0 ? 'see dead letters' : 'none', deadHref(q)),
      card('Workers', count(s.workers), s.has_consumer ? 'consumer attached' : 'no consumer yet'),
      card('Jobs/s', rate(s.per_second), `${count(s.finished_last_minute)} finished in the last minute`)),
    el('h2', {}, 'Recent jobs'),
    table(['Job', 'Task', 'State', num('Attempt'), 'Last event', num('Duration'), 'Error'], rows,
      'No recent jobs.', { id: 'recent' }),
  ];
}

// ---------------------------------------------------------------- job

const JOB_FIELDS_SHOWN = new Set(['v', 'id', 'queue', 'task', 'state', 'attempt', 'attempts', 'max_attempts',
  'worker', 'error', 'errors', 'result', 'args', 'depends_on', 'enqueued_at', 'started_at', 'finished_at',
  'updated_at', 'next_attempt_at', 'progress']);

// "40% · rendered 4/10 pages" with a bar; the message is text, never markup.
function progressView(p) {
  if (!p || typeof p !== 'object' || typeof p.fraction !== 'number') return null;
  const pct = Math.round(Math.min(1, Math.max(0, p.fraction)) * 100);
  return el('span', { id: 'job-progress' },
    el('progress', { max: '100', value: String(pct) }), ` ${pct}%`, p.message ? ` · ${p.message}` : '');
}

function renderJob(d, r) {
  const rec = d.record;
  const dl = d.dead_letter;
  const events = Array.isArray(d.events) ? d.events : [];
  const env = (dl && dl.job) || {};
  const base = rec || dl || events[0] || {};
  const state = rec ? rec.state : dl ? 'dead' : 'unknown';
  const errors = (rec && Array.isArray(rec.errors) && rec.errors) || (dl && Array.isArray(dl.errors) && dl.errors) || [];
  const lastEventError = events.map((e) => e.error).filter(Boolean).pop();
  const lastError = (rec && rec.error) || (errors.length ? errors[errors.length - 1].error : null)
    || (dl && dl.error) || lastEventError || null;
  const lastDuration = events.map((e) => e.duration_ms).filter((v) => typeof v === 'number').pop();
  const ranFor = rec && rec.started_at && rec.finished_at ? rec.finished_at - rec.started_at : lastDuration;
  const attempt = rec ? (rec.attempt ?? rec.attempts) : errors.length ? errors[errors.length - 1].attempt : null;
  const maxAttempts = (rec && rec.max_attempts) || (env.options && env.options.max_attempts);
  const deps = (rec && (rec.depends_on || (rec.options && rec.options.depends_on))) || (env.options && env.options.depends_on) || [];
  const args = rec && has(rec, 'args') ? rec.args : has(env, 'args') ? env.args : undefined;
  const dependents = Array.isArray(d.dependents) ? d.dependents : [];

  const cancel = canWrite() && CANCELLABLE.has(state) && button('cancel', 'Cancel job', (ev) => act(ev.currentTarget, null,
    () => post(`/api/jobs/${enc(r.arg)}/cancel`, {}),
    (res) => (res && res.cancelled ? `Cancel requested for ${r.arg}.` : `Nothing to cancel: the job is ${res && res.state}.`)),
  { class: 'danger' });

  const other = rec ? Object.keys(rec).filter((k) => !JOB_FIELDS_SHOWN.has(k)) : [];
  return [
    el('div', { class: 'page-head' },
      el('h1', {}, 'Job ', el('span', { class: 'mono' }, r.arg), ' ', badge(state, { id: 'job-state' })), cancel),
    kv([
      ['Queue', base.queue ? queueLink(base.queue) : null],
      ['Task', base.task || null],
      ['Attempt', attempt != null ? `${attempt}${maxAttempts ? ` of ${maxAttempts}` : ''}` : null],
      ['Progress', rec ? progressView(rec.progress) : null],
      ['Worker', (rec && rec.worker) || (dl && dl.worker) || null],
      ['Enqueued', rec && rec.enqueued_at ? when(rec.enqueued_at) : env.enqueued_at ? when(env.enqueued_at) : null],
      ['Started', rec && rec.started_at ? when(rec.started_at) : null],
      ['Finished', rec && rec.finished_at ? when(rec.finished_at) : null],
      ['Next attempt', rec && rec.next_attempt_at ? when(rec.next_attempt_at) : null],
      ['Updated', rec && rec.updated_at ? when(rec.updated_at) : null],
      ['Duration', duration(ranFor)],
    ]),
    lastError != null && [el('h2', {}, 'Last error'), el('pre', { id: 'job-error', class: 'error-text' }, String(lastError))],
    errors.length > 0 && [el('h2', {}, `Errors (${errors.length})`), el('ol', { class: 'errors' }, errors.map((e) => el('li', {},
      el('div', { class: 'muted small' }, `attempt ${count(e.attempt)} · `, when(e.at), e.worker ? ` · ${e.worker}` : ''),
      el('pre', { class: 'error-text' }, String(e.error ?? '')))))],
    rec && has(rec, 'result') && [el('h2', {}, 'Result'), pre(rec.result)],
    args !== undefined && [el('h2', {}, 'Arguments'), pre(args)],
    dl && dl.args_dropped != null && el('p', { class: 'muted' }, `Arguments dropped from the dead letter (${dl.args_dropped} bytes).`),
    deps.length > 0 && [el('h2', {}, 'Depends on'),
      el('ul', { id: 'depends-on', class: 'deps' }, deps.map((id) => el('li', {}, jobLink(id))))],
    dependents.length > 0 && [el('h2', {}, 'Depended on by'),
      el('ul', { id: 'dependents', class: 'deps' }, dependents.map((id) => el('li', {}, jobLink(id))))],
    other.length > 0 && [el('h2', {}, 'More fields'), kv(other.map((k) => [k, el('code', {}, JSON.stringify(rec[k]))]))],
    dl && renderDeadLetterOfJob(dl),
    el('h2', {}, `Timeline (${events.length} events)`),
    el('ol', { id: 'timeline', class: 'timeline' }, events.map((e) => el('li', { 'data-event-type': String(e.type) },
      when(e.at), ' ', badge(e.type), ' ', eventDetails(e)))),
    events.length === 0 && el('p', { class: 'empty' }, 'No events stored for this job (events are kept for 7 days, best effort).'),
  ];
}

function renderDeadLetterOfJob(dl) {
  const blocked = requeueBlocked(dl);
  const requeue = canWrite() && button('requeue', 'Requeue', (ev) => act(ev.currentTarget, null,
    () => post('/api/dead/requeue', { job_id: dl.id }),
    () => `Requeued ${dl.id}.`), { disabled: Boolean(blocked), title: blocked || null });
  return [
    el('div', { class: 'page-head' }, el('h2', {}, 'Dead letter'), requeue),
    kv([
      ['Reason', badge(dl.reason)],
      ['Error', dl.error != null ? el('span', { class: 'error-text' }, String(dl.error)) : null],
      ['Failed', dl.failed_at ? when(dl.failed_at) : null],
      ['Worker', dl.worker || null],
      ['Stream sequence', dl.sequence != null ? String(dl.sequence) : null],
      ['Errors left out', dl.errors_dropped != null ? String(dl.errors_dropped) : null],
      ['Raw size', dl.raw_size != null ? `${dl.raw_size} bytes` : null],
    ]),
    dl.raw != null && pre(String(dl.raw)),
    dl.raw_base64 != null && pre(String(dl.raw_base64)),
  ];
}

// Why a dead letter cannot be requeued (what would run is no longer all there), or null.
function requeueBlocked(dl) {
  if (dl.id == null || dl.id === '') return 'undecodable: there is no job to requeue';
  if (dl.args_dropped != null) return 'its arguments were too big to keep: cannot requeue';
  if (dl.raw_size != null) return 'the message was too big to keep: cannot requeue';
  return null;
}

// ---------------------------------------------------------------- dead letters

// The page's cursor: `after` of the shown page, and those of the pages before it (for "previous").
let deadAfter = null;
let deadBefore = [];
let deadTotal = null;

function deadFilter(r) {
  const q = r.query || new URLSearchParams();
  return { queue: q.get('queue') || '', task: q.get('task') || '', reason: q.get('reason') || '' };
}

function deadUrl(r) {
  const p = new URLSearchParams(deadFilter(r));
  if (deadAfter != null) p.set('after', String(deadAfter));
  p.set('limit', '50');
  return `/api/dead?${p}`;
}

function describeFilter(f) {
  const parts = [];
  if (f.queue) parts.push(`queue "${f.queue}"`);
  if (f.task) parts.push(`task "${f.task}"`);
  if (f.reason) parts.push(`error containing "${f.reason}"`);
  return parts.length ? parts.join(', ') : 'every queue';
}

// The filter form is built once per navigation (typing is not lost to refreshes); the filter
// itself lives in the hash, so a filtered view can be bookmarked.
function mountDead(r) {
  const f = deadFilter(r);
  deadAfter = null;
  deadBefore = [];
  deadTotal = null;
  const input = (name, placeholder) =>
    el('input', { name, type: 'search', value: f[name], placeholder, 'aria-label': placeholder });
  const form = el('form', { class: 'filters', onsubmit: (ev) => { ev.preventDefault(); applyDeadFilter(form); } },
    input('queue', 'queue'), input('task', 'task'), input('reason', 'error contains'),
    el('button', { type: 'submit', 'data-action': 'filter' }, 'Filter'),
    canWrite() && el('span', { class: 'spacer' }),
    canWrite() && button('requeue-all', 'Requeue all matching', (ev) => act(ev.currentTarget,
      `Requeue ${deadTotal != null ? `all ${deadTotal}` : 'all'} dead letters matching ${describeFilter(f)}? They run again with fresh attempts.`,
      () => post('/api/dead/requeue', { all: true, queue: f.queue, task: f.task, reason: f.reason }),
      (res) => { deadAfter = null; deadBefore = []; return `Requeued ${count(res && res.requeued)} job(s).`; })),
    canWrite() && button('purge-dead', 'Purge', (ev) => act(ev.currentTarget,
      `Delete every dead letter of ${f.queue ? `queue "${f.queue}"` : 'every queue'}?${f.task || f.reason ? ' (The task and error filters do not apply to purge.)' : ''} This cannot be undone.`,
      () => post('/api/dead/purge', { queue: f.queue }),
      (res) => { deadAfter = null; deadBefore = []; return `Purged ${count(res && res.purged)} dead letter(s).`; }),
    { class: 'danger' }));
  return [el('h1', {}, 'Dead letters'), form];
}

function applyDeadFilter(form) {
  const p = new URLSearchParams();
  for (const name of ['queue', 'task', 'reason']) {
    const v = form.elements[name].value.trim();
    if (v) p.set(name, v);
  }
  const hash = `#/dead${[...p].length ? `?${p}` : ''}`;
  if (hash !== location.hash) { location.hash = hash; return; } // hashchange re-mounts the page
  deadAfter = null;
  deadBefore = [];
  $('#page').dataset.loaded = '0';
  load();
}

function deadPage(after, before) {
  deadAfter = after;
  deadBefore = before;
  $('#page').dataset.loaded = '0';
  load();
}

function renderDead(d) {
  const items = Array.isArray(d.items) ? d.items : [];
  deadTotal = typeof d.total === 'number' ? d.total : null;
  const rows = items.map((x) => {
    const errors = Array.isArray(x.errors) ? x.errors : [];
    const attempts = x.attempts ?? (errors.length ? errors[errors.length - 1].attempt : null);
    const blocked = requeueBlocked(x);
    return el('tr', { 'data-dead': x.id ?? '', 'data-sequence': x.sequence },
      td({}, x.id != null ? jobLink(x.id) : el('span', { class: 'muted' }, '(undecodable)')),
      td({}, queueLink(x.queue)), td({}, x.task || ''), td({}, badge(x.reason)),
      td({ class: 'num' }, count(attempts)), errorCell(x.error), td({}, when(x.failed_at)),
      canWrite() && td({}, button('requeue', 'Requeue', (ev) => act(ev.currentTarget, null,
        () => post('/api/dead/requeue', { job_id: x.id }), () => `Requeued ${x.id}.`),
      { disabled: Boolean(blocked), title: blocked || null })));
  });
  return [
    table(['Job', 'Queue', 'Task', 'Reason', num('Attempts'), 'Last error', 'Failed', canWrite() ? '' : null], rows,
      'No dead letters match.', { id: 'dead' }),
    el('div', { class: 'pager' },
      el('span', { class: 'muted' }, `${count(d.total)} matching`),
      deadBefore.length > 0 && button('first-page', 'First page', () => deadPage(null, [])),
      deadBefore.length > 0 && button('prev-page', 'Previous', () => deadPage(deadBefore[deadBefore.length - 1], deadBefore.slice(0, -1))),
      d.next != null && button('next-page', 'Next page', () => deadPage(d.next, [...deadBefore, deadAfter]))),
  ];
}

// ---------------------------------------------------------------- schedules

const listOf = (d, key) => (Array.isArray(d) ? d : d && Array.isArray(d[key]) ? d[key] : []);

function renderSchedules(d) {
  const rows = listOf(d, 'schedules').map((s) => {
    const id = s.id;
    const path = `/api/schedules/${enc(id)}`;
    const runs = `${count(s.fired ?? 0)}${s.repeat ? ` of ${s.repeat}` : ''}`;
    return el('tr', { 'data-schedule': id },
      td({ class: 'mono' }, String(id)), td({}, queueLink(s.queue)), td({}, s.task || ''),
      td({}, s.describe || s.kind || ''),
      td({ 'data-col': 'state' }, badge(s.paused ? 'paused' : 'active')),
      td({ 'data-col': 'next_run' }, when(s.next_run)),
      td({ 'data-col': 'last_run' }, when(s.last_run ?? s.last_fired)),
      td({ class: 'num' }, runs),
      s.failures ? td({ class: 'bad', title: String(s.last_error ?? '') }, `${s.failures} failing`) : td({ class: 'muted' }, '—'),
      canWrite() && td({ class: 'actions' },
        s.paused
          ? button('resume', 'Resume', (ev) => act(ev.currentTarget, null, () => post(`${path}/resume`, {}), () => `Resumed ${id}.`))
          : button('pause', 'Pause', (ev) => act(ev.currentTarget, null, () => post(`${path}/pause`, {}), () => `Paused ${id}.`)),
        button('cancel', 'Cancel', (ev) => act(ev.currentTarget,
          `Cancel schedule "${id}"? It is deleted and never fires again.`,
          () => post(`${path}/cancel`, {}), () => `Cancelled schedule ${id}.`), { class: 'danger' })));
  });
  return [
    el('h1', {}, 'Schedules'),
    table(['Id', 'Queue', 'Task', 'When', 'State', 'Next run', 'Last run', num('Runs'), 'Failures', canWrite() ? '' : null],
      rows, 'No schedules.', { id: 'schedules' }),
  ];
}

// ---------------------------------------------------------------- workers

function renderWorkers(d) {
  const rows = listOf(d, 'workers').map((w) => {
    const inFlight = Array.isArray(w.in_flight) ? w.in_flight : [];
    const queues = Array.isArray(w.queues) ? w.queues : [];
    return el('tr', { 'data-worker': w.id },
      td({ class: 'mono' }, String(w.id)), td({ 'data-col': 'state' }, badge(w.state)),
      td({}, queues.map((q, i) => [i ? ', ' : '', queueLink(q)])),
      td({ 'data-col': 'busy', class: 'num', title: inFlight.join('\n') || null }, `${inFlight.length}/${count(w.concurrency)}`),
      td({ class: 'num' }, count(w.succeeded)), td({ class: 'num' }, count(w.failed)),
      td({ class: 'num' }, count(w.retried)), td({ class: w.dead > 0 ? 'num bad' : 'num' }, count(w.dead)),
      td({}, when(w.heartbeat_at)),
      td({ title: w.started_at ? iso(w.started_at) : null }, w.started_at ? age(now() - w.started_at) : '—'),
      td({}, w.host || ''), td({ class: 'num' }, count(w.pid)), td({}, w.version || ''));
  });
  return [
    el('h1', {}, 'Workers'),
    table(['Worker', 'State', 'Queues', num('Busy'), num('Succeeded'), num('Failed'), num('Retried'), num('Dead'),
      'Heartbeat', 'Up', 'Host', num('Pid'), 'Version'], rows, 'No live workers.', { id: 'workers' }),
  ];
}

// ---------------------------------------------------------------- start

async function start() {
  if (document.body.dataset.page === 'login') {
    // login.html loads this file only to say why the last attempt failed.
    if (new URLSearchParams(location.search).has('failed')) say('Wrong token.', 'error');
    return;
  }
  let problem = null;
  try {
    session = (await api('/api/session')) || session;
  } catch (e) {
    if (e.status === 401) return;
    problem = `Could not read the session (${e.message}); showing read-only.`;
  }
  $('#read-only-badge').hidden = session.read_only !== true;
  $('#version').textContent = [session.version && `naq ${session.version}`, session.prefix && `prefix ${session.prefix}`]
    .filter(Boolean).join(' · ');
  window.addEventListener('hashchange', navigate);
  navigate();
  if (problem) say(problem, 'error');
  connectEvents();
  setInterval(requestRefresh, FALLBACK_REFRESH_MS); // also keeps "12s ago" labels current
}

start();
