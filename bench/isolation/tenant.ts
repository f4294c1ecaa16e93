/**
 * A well-behaved tenant's traffic, played at a fixed rate (open loop): routing requests as a CTI sends
 * them (each followed by its outcome) and event batches as a collector sends them (sent again as a 503 or 429
 * asks, within the run). Latency is measured
 * from when a request was due, not from when it was sent, so a stalled client or server cannot hide
 * its own delay (no coordinated omission). Used by `bench:isolation` and the noisy-neighbour test.
 */
import { performance } from 'node:perf_hooks';

/** Options of {@link playTenant}. */
export interface TenantLoadOptions {
  /** `http://host:port` of Sluice. */
  readonly url: string;
  readonly tenant: string;
  /** Key with the `router` role (or `admin`) of the tenant. */
  readonly routerKey: string;
  /** Key with the `admin` role of the tenant (ingest). */
  readonly adminKey: string;
  /** Routing requests per second (0: none). */
  readonly routesPerSec: number;
  /**
   * Events per second, sent in batches every 100 ms (0: none): the calls of {@link callsPerSec} and, for the
   * rest, state events of the tenant's agents (available) and extensions (idle).
   */
  readonly eventsPerSec: number;
  /** Calls per second offered and answered, over the skill groups (default 0.6: a calm contact center). */
  readonly callsPerSec?: number;
  readonly durationMs: number;
  /** Skill groups the tenant routes to and reports calls for. */
  readonly skillGroups?: readonly string[];
  /** Prefix of event and call ids (unique per run). */
  readonly idPrefix: string;
  /** A request unanswered after this long counts as `timeout` (default 30 s). */
  readonly requestTimeoutMs?: number;
}

/** What one run of {@link playTenant} saw. */
export interface TenantLoadResult {
  /** Route latency per request, ms, from the moment it was due to its answer. */
  readonly routeLatenciesMs: number[];
  /** Route answers by HTTP status (`error` for a failed connection, `timeout` for no answer in time). */
  readonly routeStatus: Record<string, number>;
  /** Targets of the answered routes, by priority: `{vip: {agent-queue: 10}}`. */
  readonly targets: Record<string, Record<string, number>>;
  readonly eventsOffered: number;
  /** Events answered 202 (and counted as accepted in the answer). */
  readonly eventsAccepted: number;
  /** Answers to event batches by HTTP status, a batch sent again after a 503 or 429 (Retry-After) counted each time. */
  readonly ingestStatus: Record<string, number>;
  /** Outcome reports that got no answer. */
  readonly outcomeFailures: number;
  /** Ids of every accepted event. */
  readonly acceptedIds: string[];
}

const PRIORITIES = ['vip', 'high', 'normal', 'low'] as const;

const bump = (m: Record<string, number>, k: string) => {
  m[k] = (m[k] ?? 0) + 1;
};

/** Plays the tenant's traffic for `durationMs` and resolves when every request sent has been answered. */
export async function playTenant(o: TenantLoadOptions): Promise<TenantLoadResult> {
  const groups = o.skillGroups ?? ['care', 'sales', 'billing'];
  const res: { -readonly [K in keyof TenantLoadResult]: TenantLoadResult[K] } = {
    routeLatenciesMs: [],
    routeStatus: {},
    targets: {},
    eventsOffered: 0,
    eventsAccepted: 0,
    ingestStatus: {},
    outcomeFailures: 0,
    acceptedIds: [],
  };
  const inflight = new Set<Promise<void>>();
  const track = (p: Promise<void>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };
  const timeout = () => AbortSignal.timeout(o.requestTimeoutMs ?? 30_000);
  const failure = (err: unknown) => ((err as Error).name === 'TimeoutError' ? 'timeout' : 'error');
  let routeSeq = 0;
  let eventSeq = 0;

  const route = async (due: number, n: number) => {
    const priority = PRIORITIES[n % PRIORITIES.length]!;
    const callId = `${o.idPrefix}-call-${n}`;
    try {
      const r = await fetch(`${o.url}/v1/route`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.routerKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: o.tenant, callId, skillGroup: groups[n % groups.length], priority }),
        signal: timeout(),
      });
      const body = (await r.json().catch(() => ({}))) as { decisionId?: string; target?: string };
      res.routeLatenciesMs.push(performance.now() - due);
      bump(res.routeStatus, String(r.status));
      if (r.status === 200 && body.target) {
        bump((res.targets[priority] ??= {}), body.target);
        if (body.decisionId) {
          // The CTI reports that the node took the call.
          await fetch(`${o.url}/v1/route/${body.decisionId}/outcome`, {
            method: 'POST',
            headers: { authorization: `Bearer ${o.routerKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ success: true, latencyMs: 5 }),
            signal: timeout(),
          })
            .then((x) => x.arrayBuffer())
            .catch(() => {
              res.outcomeFailures += 1;
            });
        }
      }
    } catch (err) {
      res.routeLatenciesMs.push(performance.now() - due);
      bump(res.routeStatus, failure(err));
    }
  };

  // A calm contact center: agents available on each skill group, idle extensions, and a few calls a second
  // (offered, then answered after a short wait) — traffic that never calls for degradation by itself.
  const agentsPerGroup = 10;
  let callsDue = 0;
  let callSeq = 0;
  let lastIngest = performance.now();
  const ingest = async (count: number) => {
    const now = Date.now();
    const t = performance.now();
    callsDue += ((o.callsPerSec ?? 0.6) * (t - lastIngest)) / 1000;
    lastIngest = t;
    const events: { v: 1; tenant: string; source: string; id: string; ts: number; body: Record<string, unknown> }[] = [];
    const push = (source: string, body: Record<string, unknown>) =>
      events.push({ v: 1, tenant: o.tenant, source, id: `${o.idPrefix}-ev-${eventSeq++}`, ts: now - 1_000, body });
    while (callsDue >= 1 && events.length + 2 <= count) {
      callsDue -= 1;
      const call = callSeq++;
      const skillGroup = groups[call % groups.length];
      push('skillgroup', { skillGroup, callId: `${o.idPrefix}-c${call}`, type: 'OFFERED' });
      push('skillgroup', { skillGroup, callId: `${o.idPrefix}-c${call}`, type: 'ANSWERED', waitMs: 3_000 });
    }
    while (events.length < count) {
      const k = eventSeq % (agentsPerGroup * groups.length);
      if (eventSeq % 2 === 0) push('agent', { agentId: `agent-${k}`, state: 'AVAILABLE', skillGroups: [groups[k % groups.length]] });
      else push('extension', { extension: String(2000 + k), state: 'IDLE' });
    }
    res.eventsOffered += count;
    const body = JSON.stringify({ events });
    // A collector that honours Retry-After sends a refused batch again, as long as that is within the run.
    for (;;) {
      try {
        const r = await fetch(`${o.url}/v1/events`, {
          method: 'POST',
          headers: { authorization: `Bearer ${o.adminKey}`, 'content-type': 'application/json' },
          body,
          signal: timeout(),
        });
        bump(res.ingestStatus, String(r.status));
        const answer = (await r.json().catch(() => ({}))) as { accepted?: number; rejected?: { index: number }[] };
        const retryAfterMs = Number(r.headers.get('retry-after') ?? Number.NaN) * 1000;
        if ((r.status === 503 || r.status === 429) && performance.now() + retryAfterMs < end) {
          await new Promise((x) => setTimeout(x, Math.max(retryAfterMs, 50)));
          continue;
        }
        if (r.status === 202) {
          const rejected = new Set((answer.rejected ?? []).map((x) => x.index));
          events.forEach((e, i) => {
            if (!rejected.has(i)) res.acceptedIds.push(e.id);
          });
          res.eventsAccepted += answer.accepted ?? 0;
        }
      } catch (err) {
        bump(res.ingestStatus, failure(err));
      }
      return;
    }
  };

  const start = performance.now();
  const end = start + o.durationMs;
  let eventsDue = 0;
  let nextBatch = start;
  for (;;) {
    const now = performance.now();
    if (now >= end) break;
    // Every route due by now goes out, each timed from its own due moment.
    if (o.routesPerSec > 0) {
      const due = Math.floor(((now - start) * o.routesPerSec) / 1000);
      while (routeSeq < due) {
        const n = routeSeq++;
        track(route(start + (n * 1000) / o.routesPerSec, n));
      }
    }
    if (o.eventsPerSec > 0 && now >= nextBatch) {
      const total = Math.floor(((now - start) * o.eventsPerSec) / 1000);
      const count = total - eventsDue;
      eventsDue = total;
      if (count > 0) track(ingest(count));
      nextBatch += 100;
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  while (inflight.size > 0) await Promise.allSettled([...inflight]);
  return res;
}
