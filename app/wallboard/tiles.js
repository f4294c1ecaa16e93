// Sluice wallboard: one tile per skill group, built with DOM calls (never innerHTML: skill-group
// names and level reasons are data) and updated in place on every push.

/** Agent states shown, in the order of the bar (LOGGED_OUT is left out). */
const AGENT_STATES = [
  ['AVAILABLE', 'Available'],
  ['RINGING', 'Ringing'],
  ['ON_CALL', 'On call'],
  ['HOLD', 'Hold'],
  ['ACW', 'After-call'],
  ['AUX', 'Aux'],
];

/** Level names, as DESIGN.md's table calls them. */
const LEVELS = ['Normal', 'Light pressure', 'Heavy pressure', 'Overload'];

/**
 * The tone of a figure against its thresholds: ok, warn, alarm, or none when there is no figure.
 * The service level is judged in whole percent, as shown (0.8 − 0.1 is not 0.7 in floating point), against
 * the page's `slTarget` when the URL sets one, else the tenant's objective carried by the figures.
 */
export function tones(g, t) {
  const sl = serviceLevel(g) === null ? null : Math.round(serviceLevel(g) * 100);
  const target = Math.round(slTarget(g, t) * 100);
  return {
    waiting: g.callsWaiting >= t.waitingAlarm ? 'alarm' : g.callsWaiting >= t.waitingWarn ? 'warn' : 'ok',
    longest: g.longestWaitMs >= t.longestAlarmMs ? 'alarm' : g.longestWaitMs >= t.longestWarnMs ? 'warn' : 'ok',
    sl: sl === null ? 'none' : sl >= target ? 'ok' : sl >= target - 10 ? 'warn' : 'alarm',
  };
}

/** Service level of the last 60 minutes, else of the last 5, else null (no closed minute yet). */
function serviceLevel(g) {
  return g.last60m?.serviceLevel ?? g.last5m?.serviceLevel ?? null;
}

/** The target the service level is judged against: the URL's `slTarget`, else the tenant's objective, else 80 %. */
function slTarget(g, t) {
  return t.slTarget ?? g.last60m?.serviceLevelObjective ?? g.last5m?.serviceLevelObjective ?? 0.8;
}

/**
 * Which service level a tile shows, in words: the tenant's variant at its threshold T, as the server writes it
 * into the figures (`serviceLevelDefinition`; README, "Service level"); null before the first closed minute.
 */
export function serviceLevelDefinition(g) {
  return (g.last60m ?? g.last5m)?.serviceLevelDefinition ?? null;
}

/** 83 s → "1:23"; an hour or more → "1:02:03". */
export function clockText(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

const pct = (x) => `${Math.round(x * 100)}%`;

/** Durations in level reasons read as people say them: "600000 ms" → "10 min". */
export function humanReason(reason) {
  if (reason === 'initial') return 'no pressure since start';
  return reason.replace(/\b(\d+) ms\b/g, (all, n) => {
    const ms = Number(n);
    if (ms < 1_000) return all;
    if (ms < 60_000) return `${Math.round(ms / 1_000)} s`;
    if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
    return `${Math.round(ms / 360_000) / 10} h`;
  });
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A big figure; `short` is its label on compact tiles. */
function kpi(name, label, short) {
  const box = el('div', 'kpi');
  box.dataset.kpi = name;
  const head = el('div', 'kpi-label');
  head.append(el('span', 'full', label), el('span', 'short', short));
  box.append(head, el('div', 'kpi-value', '—'), el('div', 'kpi-sub', ''));
  if (name === 'sl') box.append(el('div', 'kpi-definition', ''));
  return box;
}

/** A new, empty tile for one skill group. */
function createTile() {
  const tile = el('section', 'group');
  const head = el('header', 'group-head');
  const name = el('h2', 'group-name');
  const level = el('div', 'level');
  level.append(el('span', 'level-badge'), el('span', 'level-reason'));
  head.append(name, level);
  const kpis = el('div', 'kpis');
  kpis.append(
    kpi('waiting', 'Calls waiting', 'Waiting'),
    kpi('longest', 'Longest wait', 'Longest'),
    kpi('sl', 'Service level · 60 min', 'SL 60 min'),
  );
  const agents = el('div', 'agents');
  const agentsHead = el('div', 'agents-head');
  agentsHead.append(el('span', 'agents-title', 'Agents'), el('span', 'agents-total', ''));
  const bar = el('div', 'agents-bar');
  const list = el('ul', 'agents-list');
  for (const [state, label] of AGENT_STATES) {
    const seg = el('span', 'seg');
    seg.dataset.state = state;
    bar.append(seg);
    const li = el('li');
    li.dataset.state = state;
    li.append(el('span', 'n', '0'), el('span', 'l', label));
    list.append(li);
  }
  agents.append(agentsHead, bar, list);
  tile.append(head, kpis, agents, el('div', 'minute'));
  return tile;
}

function setKpi(tile, name, value, tone, sub) {
  const box = tile.querySelector(`[data-kpi="${name}"]`);
  box.dataset.tone = tone;
  box.querySelector('.kpi-value').textContent = value;
  if (sub !== undefined) box.querySelector('.kpi-sub').textContent = sub;
}

function update(tile, g, t, showTenant) {
  tile.querySelector('.group-name').textContent = showTenant ? `${g.tenant} · ${g.skillGroup}` : g.skillGroup;
  const level = tile.querySelector('.level');
  level.hidden = !g.control;
  if (g.control) {
    const c = g.control;
    level.dataset.level = String(c.level);
    tile.dataset.level = String(c.level);
    level.querySelector('.level-badge').textContent = `L${c.level} ${LEVELS[c.level] ?? ''}${c.pinned ? ' · pinned' : ''}`;
    const reason = humanReason(c.reason);
    level.querySelector('.level-reason').textContent = c.scope === 'tenant' ? `${reason} (whole tenant)` : reason;
    level.title = `since ${new Date(c.since).toLocaleTimeString([], { hourCycle: 'h23' })}`;
  } else {
    delete tile.dataset.level;
  }
  const tone = tones(g, t);
  const free = g.agents.AVAILABLE ?? 0;
  setKpi(
    tile,
    'waiting',
    String(g.callsWaiting),
    tone.waiting,
    g.callsWaiting > 0 && free === 0 ? 'no agent available' : `${free} available`,
  );
  setKpi(
    tile,
    'longest',
    g.callsWaiting > 0 ? clockText(g.longestWaitMs) : '0:00',
    g.callsWaiting > 0 ? tone.longest : 'ok',
    `target ${clockText(t.longestWarnMs)}`,
  );
  const sl = serviceLevel(g);
  const five = g.last5m?.serviceLevel;
  const definition = serviceLevelDefinition(g);
  setKpi(
    tile,
    'sl',
    sl === null ? '—' : pct(sl),
    tone.sl,
    sl === null ? 'after the first full minute' : `target ${pct(slTarget(g, t))}${five == null ? '' : ` · 5 min ${pct(five)}`}`,
  );
  // Which service level this is, on the tile itself: the tenant's variant and threshold.
  const box = tile.querySelector('[data-kpi="sl"]');
  box.dataset.variant = (g.last60m ?? g.last5m)?.serviceLevelVariant ?? '';
  box.querySelector('.kpi-definition').textContent = definition ?? '';
  box.title = definition ?? '';
  let total = 0;
  for (const [state] of AGENT_STATES) total += g.agents[state] ?? 0;
  tile.querySelector('.agents-total').textContent = `${total} logged in`;
  for (const [state] of AGENT_STATES) {
    const n = g.agents[state] ?? 0;
    tile.querySelector(`.agents-list [data-state="${state}"] .n`).textContent = String(n);
    tile.querySelector(`.agents-bar [data-state="${state}"]`).style.flexGrow = String(n);
  }
  const m = g.currentMinute;
  tile.querySelector('.minute').textContent = m
    ? `This minute: offered ${m.offered} · answered ${m.answered} · abandoned ${m.abandoned}`
    : 'This minute: no calls yet';
}

/**
 * Keeps one tile per skill group in `root`, in the order of the push, and removes tiles of groups
 * no longer pushed. `t` holds the thresholds (see `wallboard.js`).
 */
export class Tiles {
  #root;
  #t;
  #tiles = new Map();

  constructor(root, thresholds) {
    this.#root = root;
    this.#t = thresholds;
  }

  /** Shows the groups of one `skillgroups` message. */
  render(msg) {
    const showTenant = msg.tenant === '*';
    const seen = new Set();
    if (msg.skillGroups.length === 0) {
      this.#tiles.clear();
      this.#root.replaceChildren(el('p', 'empty', 'No skill group has traffic yet.'));
      return;
    }
    this.#root.querySelector('.empty')?.remove();
    for (const g of msg.skillGroups) {
      const id = `${g.tenant}\u0000${g.skillGroup}`;
      seen.add(id);
      let tile = this.#tiles.get(id);
      if (!tile) {
        tile = createTile();
        tile.dataset.skillGroup = g.skillGroup;
        tile.dataset.tenant = g.tenant;
        this.#tiles.set(id, tile);
      }
      update(tile, g, this.#t, showTenant);
      this.#root.append(tile);
    }
    for (const [id, tile] of this.#tiles) {
      if (!seen.has(id)) {
        tile.remove();
        this.#tiles.delete(id);
      }
    }
    this.#root.dataset.count = String(seen.size);
  }
}
