/**
 * A hostile (or badly broken) tenant, as issue 14 found one: it floods `POST /v1/route` without ever
 * reporting an outcome, sends event batches that each invent new skill-group names, and opens
 * WebSockets that send junk frames and never read. Closed loop: as fast as the server answers.
 * Used by `bench:isolation` (in a child process of its own, so its client work does not delay the
 * measured tenant's client) and by the noisy-neighbour integration test.
 *
 * Run alone: `tsx bench/isolation/flood.ts <url> <tenant> <routerKey> <adminKey> <viewerKey>`; stops on
 * SIGTERM and prints its counts as one JSON line. `FLOOD_ROUTE_LOOPS`, `FLOOD_EVENT_LOOPS` and `FLOOD_SOCKETS`
 * set the size of each part (0 turns it off), to see what each costs the other tenant.
 */
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

/** Options of {@link flood}. */
export interface FloodOptions {
  readonly url: string;
  readonly tenant: string;
  readonly routerKey: string;
  readonly adminKey: string;
  readonly viewerKey: string;
  /** Concurrent route loops (default 32). */
  readonly routeLoops?: number;
  /** Concurrent event-batch loops (default 2); each batch holds `namesPerBatch` new skill groups. */
  readonly eventLoops?: number;
  readonly namesPerBatch?: number;
  /** WebSockets to open (default 200), each sending junk and never reading. */
  readonly sockets?: number;
}

/** What the flood saw. */
export interface FloodStats {
  routes: Record<string, number>;
  events: Record<string, number>;
  /** New skill-group names sent. */
  names: number;
  sockets: { opened: number; refused: number; closedByServer: number; framesSent: number };
}

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Floods until `signal` aborts; resolves with the counts once every loop has stopped. */
export async function flood(o: FloodOptions, signal: AbortSignal): Promise<FloodStats> {
  const stats: FloodStats = { routes: {}, events: {}, names: 0, sockets: { opened: 0, refused: 0, closedByServer: 0, framesSent: 0 } };
  const prefix = `${process.pid}-${Date.now().toString(36)}`;
  let seq = 0;
  const post = (path: string, key: string, body: unknown) =>
    fetch(`${o.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal,
    });

  const routeLoop = async () => {
    while (!signal.aborted) {
      const n = seq++;
      try {
        const r = await post('/v1/route', o.routerKey, {
          tenant: o.tenant,
          callId: `flood-${prefix}-${n}`,
          skillGroup: `flood-${n % 50}`,
          priority: 'vip',
        });
        await r.arrayBuffer();
        bump(stats.routes, String(r.status));
        // A client told to wait does not hammer (as a CTI's HTTP client would not); a hostile one would, and the limiter answers it all the same.
      } catch {
        if (!signal.aborted) bump(stats.routes, 'error');
      }
    }
  };

  const eventLoop = async () => {
    const size = o.namesPerBatch ?? 1_000;
    while (!signal.aborted) {
      const now = Date.now();
      const events = [];
      for (let i = 0; i < size; i++) {
        const n = seq++;
        events.push({
          v: 1,
          tenant: o.tenant,
          source: 'skillgroup',
          id: `flood-${prefix}-${n}`,
          ts: now - 1_000,
          body: { skillGroup: `sg-${prefix}-${n}`, callId: `flood-${prefix}-${n}`, type: 'OFFERED' },
        });
      }
      stats.names += size;
      try {
        const r = await post('/v1/events', o.adminKey, { events });
        await r.arrayBuffer();
        bump(stats.events, String(r.status));
        if (r.status === 503 || r.status === 429) await new Promise((res) => setTimeout(res, 50));
      } catch {
        if (!signal.aborted) bump(stats.events, 'error');
      }
    }
  };

  const sockets: WebSocket[] = [];
  const junk = Buffer.alloc(32 * 1024, 'x');
  const openSocket = () => {
    const ws = new WebSocket(`${o.url.replace(/^http/, 'ws')}/v1/stream?key=${encodeURIComponent(o.viewerKey)}`);
    sockets.push(ws);
    let timer: ReturnType<typeof setInterval> | undefined;
    ws.on('open', () => {
      stats.sockets.opened += 1;
      ws.pause(); // never read what the server pushes
      timer = setInterval(() => {
        if (ws.readyState !== ws.OPEN) return;
        for (let i = 0; i < 4; i++) ws.send(junk);
        stats.sockets.framesSent += 4;
      }, 5);
    });
    ws.on('unexpected-response', (_req, res) => {
      stats.sockets.refused += 1;
      res.resume();
    });
    ws.on('error', () => {});
    ws.on('close', () => {
      if (timer) clearInterval(timer);
      if (!signal.aborted) stats.sockets.closedByServer += 1;
    });
  };
  for (let i = 0; i < (o.sockets ?? 200); i++) openSocket();

  const loops = [...Array.from({ length: o.routeLoops ?? 32 }, routeLoop), ...Array.from({ length: o.eventLoops ?? 2 }, eventLoop)];
  // Held open until aborted, even once the server has closed every socket and no loop runs.
  const alive = setInterval(() => {}, 60_000);
  await new Promise<void>((r) => (signal.aborted ? r() : signal.addEventListener('abort', () => r(), { once: true })));
  clearInterval(alive);
  for (const ws of sockets) ws.terminate();
  await Promise.allSettled(loops);
  return stats;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [url, tenant, routerKey, adminKey, viewerKey] = process.argv.slice(2);
  if (!url || !tenant || !routerKey || !adminKey || !viewerKey) {
    console.error('usage: flood.ts <url> <tenant> <routerKey> <adminKey> <viewerKey>');
    process.exit(2);
  }
  const abort = new AbortController();
  process.on('SIGTERM', () => abort.abort());
  // Each part of the flood can be turned down to see what it costs alone (0 turns it off).
  const env = (name: string) => (process.env[name] === undefined ? undefined : Number(process.env[name]));
  const parts = { routeLoops: env('FLOOD_ROUTE_LOOPS'), eventLoops: env('FLOOD_EVENT_LOOPS'), sockets: env('FLOOD_SOCKETS') };
  const stats = await flood(
    { url, tenant, routerKey, adminKey, viewerKey, ...Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) },
    abort.signal,
  );
  console.log(JSON.stringify(stats));
  process.exit(0);
}
