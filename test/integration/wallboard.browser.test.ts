import { existsSync, mkdirSync } from 'node:fs';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { HttpIngestSink } from '../../simulator/http-sink.js';
import { TrafficSimulation } from '../../simulator/model.js';
import { pace } from '../../simulator/pacer.js';
import { buildScenario } from '../../simulator/scenario.js';
import { systemClock } from '../../adapters/clock.js';
import type { TelemetryEvent } from '../../pipelines/events/types.js';
import { freePort } from '../../services/ports.js';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). playwright-core cannot download its own here. */
const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const VIEWER = 'wallboard-acme-viewer-001';
const ADMIN = 'wallboard-acme-admin-0001';
const PLATFORM = 'wallboard-platform-viewer-01';
const GROUPS = ['billing', 'sales', 'support'];

// The page's DOM as far as the checks below read it, for the functions run in the page (the project
// compiles without the DOM library, and a module-local declaration keeps it that way elsewhere).
interface El {
  textContent: string | null;
  hidden: boolean;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): El | null;
}
declare const document: { body: El; querySelectorAll(selector: string): Iterable<El>; getElementById(id: string): El | null };

/** What the page shows: per skill group the three big figures, the agents and the current minute. */
async function figures(
  page: Page,
): Promise<
  Record<string, { waiting: string; longest: string; sl: string; agents: string; minute: string; level: string; reason: string }>
> {
  return page.evaluate(() => {
    const out: Record<
      string,
      { waiting: string; longest: string; sl: string; agents: string; minute: string; level: string; reason: string }
    > = {};
    const text = (root: El, sel: string) => root.querySelector(sel)?.textContent ?? '';
    for (const g of document.querySelectorAll('.group')) {
      out[g.dataset.skillGroup!] = {
        waiting: text(g, '[data-kpi="waiting"] .kpi-value'),
        longest: text(g, '[data-kpi="longest"] .kpi-value'),
        sl: text(g, '[data-kpi="sl"] .kpi-value'),
        agents: text(g, '.agents-total'),
        minute: text(g, '.minute'),
        level: text(g, '.level-badge'),
        reason: text(g, '.level-reason'),
      };
    }
    return out;
  });
}

const conn = (page: Page) => page.evaluate(() => ({ conn: document.body.dataset.conn, asOf: Number(document.body.dataset.asOf ?? 0) }));

describe('live wallboard in headless Chromium', () => {
  let browser: Browser;
  let sluice: Sluice | undefined;
  let port: number;
  const feeding = new AbortController();
  let feeder: Promise<unknown> | undefined;

  const start = async () => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${VIEWER}:acme:viewer,${ADMIN}:acme:admin,${PLATFORM}:*:viewer`,
      SLUICE_TENANTS: 'acme',
      // acme's one service level: answered within 17 s (on no bucket bound) ÷ answered, objective 90 %.
      SLUICE_SERVICE_LEVEL_TENANTS: JSON.stringify({ acme: { variant: 'answered', thresholdMs: 17_000, objective: 0.9 } }),
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `wallboard_${process.pid}`,
      HOST: '127.0.0.1',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      // One screen per key: a second page of the same key meets the cap.
      SLUICE_STREAM_MAX_PER_KEY: '1',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `wallboard test: no Chromium at ${CHROMIUM}. Install Debian's package (apt-get install -y chromium; .ci/run does this) or point SLUICE_CHROMIUM at a Chromium binary.`,
      );
    }
    port = await freePort();
    [browser] = await Promise.all([chromium.launch({ executablePath: CHROMIUM }), start()]);
    // The traffic model of `sluice demo`, started three minutes ago: the past goes in at once (so the
    // last closed minutes give a service level), the rest in real time, as collectors would send it.
    const now = Date.now();
    const model = new TrafficSimulation(
      buildScenario({ seed: 7, start: now - 3 * 60_000, minutes: 30, tenants: ['acme'], callsPerHour: 3_600 }),
    );
    const it = model[Symbol.iterator]();
    const past: TelemetryEvent[] = [];
    let next = it.next();
    for (; !next.done && next.value.ts < now; next = it.next()) past.push(next.value);
    const sink = new HttpIngestSink({ url: `http://127.0.0.1:${port}`, apiKey: ADMIN, retries: 0 });
    await sink.send(past);
    const first = next.done ? [] : [next.value];
    const rest = {
      *[Symbol.iterator]() {
        yield* first;
        for (let n = it.next(); !n.done; n = it.next()) yield n.value;
      },
    };
    // While Sluice is down, a batch fails and is dropped: the feed goes on when Sluice is back.
    const lossy = { send: (events: TelemetryEvent[]) => sink.send(events).catch(() => {}) };
    feeder = pace(rest, lossy, { clock: systemClock, speed: 1, batchSize: 100, signal: feeding.signal });
  });

  afterAll(async () => {
    feeding.abort();
    await feeder;
    await browser?.close();
    await sluice?.close();
  });

  it('shows the figures, updates them, shows the level and its reason, and reconnects by itself after a restart', async () => {
    const admin = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN}` };
    const pin = await fetch(`http://127.0.0.1:${port}/v1/control/overrides`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ tenant: 'acme', skillGroup: 'support', level: 2, forMs: 600_000, reason: 'CTI maintenance' }),
    });
    expect(pin.status, await pin.text()).toBe(201);

    const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${port}/wallboard#key=${VIEWER}`);

    // Figures appear: every skill group, numbers in the big tiles, a service level from the closed minutes.
    await page.waitForFunction(
      (n) => document.body.dataset.conn === 'live' && [...document.querySelectorAll('.group')].length === n,
      GROUPS.length,
      { timeout: 20_000 },
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll('[data-kpi="sl"] .kpi-value')].some((e) => /^\d+%$/.test(e.textContent ?? '')),
      undefined,
      { timeout: 20_000 },
    );
    const before = await figures(page);
    expect(Object.keys(before).sort()).toEqual(GROUPS);
    for (const g of GROUPS) {
      expect(before[g]!.waiting, g).toMatch(/^\d+$/);
      expect(before[g]!.agents, g).toMatch(/^[1-9]\d* logged in$/);
    }
    expect(before.support).toMatchObject({ level: 'L2 Heavy pressure · pinned' });
    expect(before.support!.reason).toContain('CTI maintenance');
    expect(before.sales!.level).toMatch(/^L[0-3] /);

    // One service level on every screen: the tile says which (acme's variant and T), and its figure is the one
    // GET /v1/realtime/skillgroups and /metrics give (read together; again if a minute closed in between).
    const screens = async () => {
      const tiles = await page.evaluate(() =>
        [...document.querySelectorAll('.group')].map((g) => ({
          group: g.dataset.skillGroup!,
          sl: g.querySelector('[data-kpi="sl"] .kpi-value')?.textContent ?? '',
          target: g.querySelector('[data-kpi="sl"] .kpi-sub')?.textContent ?? '',
          definition: g.querySelector('[data-kpi="sl"] .kpi-definition')?.textContent ?? '',
          variant: g.querySelector('[data-kpi="sl"]')?.dataset.variant,
        })),
      );
      const api = (await (await fetch(`http://127.0.0.1:${port}/v1/realtime/skillgroups`, { headers: admin })).json()) as {
        skillGroups: {
          skillGroup: string;
          last60m: { serviceLevel: number | null } | null;
          last5m: { serviceLevel: number | null } | null;
        }[];
      };
      const scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${PLATFORM}` } })).text();
      return { tiles, api, scrape };
    };
    let seen = await screens();
    const agree = (x: typeof seen) =>
      x.tiles.every((t) => {
        const g = x.api.skillGroups.find((a) => a.skillGroup === t.group);
        const sl = g?.last60m?.serviceLevel ?? g?.last5m?.serviceLevel ?? null;
        const gauge = new RegExp(`^sluice_service_level\\{tenant="acme",skill_group="${t.group}",variant="answered"\\} (\\S+)$`, 'm').exec(
          x.scrape,
        );
        return sl === null ? t.sl === '—' && gauge === null : t.sl === `${Math.round(sl * 100)}%` && Number(gauge?.[1]) === sl;
      });
    for (let i = 0; i < 10 && !agree(seen); i++) {
      await page.waitForTimeout(1_000);
      seen = await screens();
    }
    expect(agree(seen), JSON.stringify(seen.tiles)).toBe(true);
    const shown = seen.tiles.filter((t) => /^\d+%$/.test(t.sl));
    expect(shown.length).toBeGreaterThan(0);
    for (const t of shown) {
      expect(t).toMatchObject({ variant: 'answered', definition: 'answered within 17 s ÷ answered' });
      expect(t.target).toMatch(/^target 90%/);
    }
    expect(seen.scrape).toContain('sluice_service_level_threshold_seconds{tenant="acme",variant="answered"} 17');
    expect(seen.scrape).toContain('sluice_service_level_objective{tenant="acme"} 0.9');
    expect(seen.scrape).toMatch(/^sluice_queue_answered_within_sl_total\{tenant="acme",skill_group="sales"\} [1-9]/m);

    // … and change with the traffic.
    await page.waitForFunction(
      (b) =>
        [...document.querySelectorAll('.group')].some(
          (g) =>
            g.querySelector('.minute')?.textContent !== b[g.dataset.skillGroup!]?.minute ||
            g.querySelector('[data-kpi="waiting"] .kpi-value')?.textContent !== b[g.dataset.skillGroup!]?.waiting,
        ),
      before,
      { timeout: 15_000 },
    );
    mkdirSync('artifacts', { recursive: true });
    await page.screenshot({ path: 'artifacts/wallboard.png' });

    // A wrong key is told apart from a server that is down.
    const refused = await browser.newPage();
    await refused.goto(`http://127.0.0.1:${port}/wallboard#key=not-a-key-of-this-sluice`);
    await refused.waitForFunction(() => document.body.dataset.conn === 'refused', undefined, { timeout: 10_000 });
    expect(await refused.textContent('#notice')).toContain('The key was refused.');
    await refused.close();

    // Another tenant's figures: refused before the upgrade (404), shown as not authorised, never retried.
    const other = await browser.newPage();
    const upgrades: string[] = [];
    other.on('websocket', (ws) => upgrades.push(ws.url()));
    await other.goto(`http://127.0.0.1:${port}/wallboard#key=${VIEWER}&tenant=globex`);
    await other.waitForFunction(() => document.body.dataset.conn === 'refused', undefined, { timeout: 10_000 });
    expect(await other.textContent('#status-text')).toBe('Not authorised');
    expect(await other.textContent('#notice')).toContain('This tenant is unknown to the key.');
    // A retry would come about a second later (the first backoff): after three, still one attempt.
    await other.waitForTimeout(3_000);
    expect(upgrades).toHaveLength(1);
    expect(await other.evaluate(() => document.body.dataset.conn)).toBe('refused');
    await other.close();

    // A second screen on the key while the first holds its only stream: told why, and it keeps trying.
    const second = await browser.newPage();
    await second.goto(`http://127.0.0.1:${port}/wallboard#key=${VIEWER}`);
    await second.waitForFunction(
      () => document.body.dataset.conn === 'reconnecting' && !document.getElementById('notice')!.hidden,
      undefined,
      { timeout: 10_000 },
    );
    expect(await second.textContent('#notice')).toMatch(/^Too many screens are open with this key — retrying \(attempt \d+\)\./);
    await second.close();

    // Sluice stops: the page says it is reconnecting and keeps the last figures, dimmed.
    await sluice!.close();
    sluice = undefined;
    await page.waitForFunction(
      () => document.body.dataset.conn === 'reconnecting' && !document.getElementById('notice')!.hidden,
      undefined,
      { timeout: 10_000 },
    );
    expect(await page.textContent('#notice')).toMatch(/^Connection lost — reconnecting/);
    expect(Object.keys(await figures(page)).sort()).toEqual(GROUPS);
    await page.screenshot({ path: 'artifacts/wallboard-reconnecting.png' });

    // It starts again on the same port: the page reconnects by itself and shows figures pushed after the restart.
    const restartedAt = Date.now();
    await start();
    await page.waitForFunction(
      (t) => document.body.dataset.conn === 'live' && Number(document.body.dataset.asOf) > t && document.getElementById('notice')!.hidden,
      restartedAt,
      { timeout: 40_000 },
    );
    await page.waitForFunction(
      () => [...document.querySelectorAll('.agents-total')].some((e) => /^[1-9]\d* logged in$/.test(e.textContent ?? '')),
      undefined,
      { timeout: 20_000 },
    );
    expect((await conn(page)).asOf).toBeGreaterThan(restartedAt);
    expect(errors).toEqual([]);
  });
});
