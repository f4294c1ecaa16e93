// Sluice wallboard: opens GET /v1/stream, shows the figures, and keeps the connection up —
// reconnecting with a growing, jittered backoff (so a room of screens does not reconnect in one
// burst after a restart) and showing how old the figures on screen are.
//
// Parameters come from the URL fragment (or query): key (an API key, best a tenant's `viewer` key),
// tenant (platform keys only), skillGroup, slTarget (percent; default the tenant's service-level objective),
// waitingWarn, waitingAlarm.
import { Tiles, clockText } from './tiles.js';

const BACKOFF_MS = [1_000, 30_000]; // first wait, longest wait
const WATCHDOG_MS = 10_000; // the server pushes every 2 s: silence this long means a dead link
const STALE_MS = 10_000; // figures older than this are dimmed

function readParams() {
  const p = new URLSearchParams(location.search);
  for (const [k, v] of new URLSearchParams(location.hash.slice(1))) p.set(k, v);
  return p;
}
const num = (v, fallback) => (v !== null && v !== '' && Number.isFinite(Number(v)) ? Number(v) : fallback);

const params = readParams();
const slMs = num(document.querySelector('meta[name="sluice-service-level-ms"]')?.content ?? null, 20_000);
const t = {
  slTarget: params.get('slTarget') === null ? undefined : num(params.get('slTarget'), 80) / 100,
  waitingWarn: num(params.get('waitingWarn'), 3),
  waitingAlarm: num(params.get('waitingAlarm'), 8),
  longestWarnMs: slMs,
  longestAlarmMs: 3 * slMs,
};
const key = params.get('key') ?? '';
const tiles = new Tiles(document.getElementById('groups'), t);
const $ = (id) => document.getElementById(id);
const timeOfDay = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

$('legend').textContent =
  `Service level: the tenant's definition, written on each tile, green at ${t.slTarget === undefined ? "the tenant's objective" : `${Math.round(t.slTarget * 100)}%`} or more, amber within 10 points, red below. ` +
  `Longest wait: amber from ${clockText(t.longestWarnMs)}, red from ${clockText(t.longestAlarmMs)}. Calls waiting: amber from ${t.waitingWarn}, red from ${t.waitingAlarm}.`;

let socket;
let attempt = 0;
let retryAt = 0;
let retryTimer;
let watchdog;
let receivedAt = 0;
let retryReason;

function setConn(state, text, notice) {
  document.body.dataset.conn = state;
  $('status-text').textContent = text;
  const n = $('notice');
  n.hidden = !notice;
  n.textContent = notice ?? '';
}

function streamUrl() {
  const u = new URL('v1/stream', location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  u.search = '';
  u.hash = '';
  if (key) u.searchParams.set('key', key);
  for (const name of ['tenant', 'skillGroup']) if (params.get(name)) u.searchParams.set(name, params.get(name));
  return u;
}

function connect() {
  clearTimeout(retryTimer);
  if (attempt === 0) setConn('connecting', 'Connecting…');
  else setConn('reconnecting', 'Reconnecting…', lostNotice());
  const sock = new WebSocket(streamUrl());
  socket = sock;
  let opened = false;
  sock.onopen = () => (opened = true);
  sock.onmessage = (ev) => {
    if (socket !== sock) return;
    let msg;
    try {
      msg = JSON.parse(ev.data);
    } catch {
      return;
    }
    arm(sock);
    if (msg.type !== 'skillgroups') return;
    receivedAt = Date.now();
    attempt = 0;
    document.body.dataset.asOf = String(msg.asOf);
    $('title').textContent = msg.tenant === '*' ? 'Wallboard · all tenants' : `Wallboard · ${msg.tenant}`;
    tiles.render(msg);
    setConn('live', 'Live');
    tick();
  };
  sock.onclose = () => {
    if (socket !== sock) return;
    drop(sock);
    if (opened) retry();
    else void diagnose();
  };
  arm(sock);
}

/** Restarts the watchdog: a socket that stays silent is given up (a dead link may never close). */
function arm(sock) {
  clearTimeout(watchdog);
  watchdog = setTimeout(() => {
    if (socket !== sock) return;
    drop(sock);
    retry();
  }, WATCHDOG_MS);
}

function drop(sock) {
  clearTimeout(watchdog);
  socket = undefined;
  sock.onopen = sock.onmessage = sock.onclose = null;
  if (sock.readyState <= WebSocket.OPEN) sock.close();
}

/** Connects again after a growing, jittered wait; `why` is shown instead of "Connection lost" until then. */
function retry(why) {
  const base = Math.min(BACKOFF_MS[1], BACKOFF_MS[0] * 2 ** attempt);
  const wait = Math.round(base * (0.8 + Math.random() * 0.4));
  attempt += 1;
  retryReason = why;
  retryAt = Date.now() + wait;
  retryTimer = setTimeout(connect, wait);
  tick();
}

/**
 * The upgrade failed before it opened: a browser does not say why, so ask the stream itself with a
 * plain GET (the same key, tenant and skill group): it runs every check an upgrade runs and answers
 * 426 when an upgrade would be accepted. A refused key, an unknown tenant or bad parameters will
 * not heal by retrying; a full server or too many screens on one key might.
 */
async function diagnose() {
  let notice;
  try {
    const u = new URL(streamUrl());
    u.protocol = location.protocol;
    u.searchParams.delete('key');
    const r = await fetch(u, { headers: key ? { 'x-api-key': key } : {}, cache: 'no-store' });
    if (r.status === 400 || r.status === 401 || r.status === 403 || r.status === 404) {
      const why =
        r.status === 404
          ? 'This tenant is unknown to the key.'
          : r.status === 400
            ? "The wallboard's parameters (tenant, skillGroup) were refused."
            : key
              ? 'The key was refused.'
              : 'This wallboard needs an API key.';
      setConn(
        'refused',
        r.status === 400 ? 'Refused' : 'Not authorised',
        `${why} Open it as /wallboard#key=<a viewer key of your tenant>.`,
      );
      return;
    }
    if (r.status === 429) notice = 'Too many screens are open with this key — retrying';
    else if (r.status === 503) notice = 'The server is at its limit of screens — retrying';
  } catch {
    // Unreachable: retry below.
  }
  retry(notice);
}

/** Once a second: the clock, the age of the figures and the reconnect countdown. */
function tick() {
  const now = Date.now();
  $('clock').textContent = timeOfDay(now);
  const age = receivedAt === 0 ? null : now - receivedAt;
  const ago =
    age === null ? '' : age < 1_500 ? 'just now' : age < 90_000 ? `${Math.round(age / 1000)} s ago` : `${Math.round(age / 60_000)} min ago`;
  $('age').textContent = age === null ? 'no data yet' : `updated ${ago}`;
  document.body.dataset.stale = String(age !== null && age > STALE_MS);
  if (socket === undefined && retryAt > 0 && document.body.dataset.conn !== 'refused') {
    const s = Math.max(0, Math.ceil((retryAt - now) / 1000));
    setConn('reconnecting', s > 0 ? `Reconnecting in ${s} s…` : 'Reconnecting…', lostNotice());
  }
}

function lostNotice() {
  const since = receivedAt === 0 ? '' : ` Figures shown are from ${timeOfDay(receivedAt)}.`;
  return `${retryReason ?? 'Connection lost — reconnecting'} (attempt ${attempt}).${since}`;
}

setInterval(tick, 1_000);
window.addEventListener('online', () => {
  if (socket === undefined) connect();
});
window.addEventListener('hashchange', () => location.reload());
tick();
connect();
