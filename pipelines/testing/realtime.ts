/**
 * Test support for the real-time state: a seeded mix of every source's events, and the partition each
 * lands in (as Kafka's keyed messages do: one partition per tenant + entity).
 */
import { createHash } from 'node:crypto';
import { seededRandom } from '../../adapters/random.js';
import type { AgentState, ExtensionState, TelemetryEvent } from '../events/types.js';
import { partitionKey, topicFor } from '../topics.js';

const AGENT_STATES: AgentState[] = ['LOGGED_OUT', 'AVAILABLE', 'RINGING', 'ON_CALL', 'HOLD', 'ACW', 'AUX'];
const EXT_STATES: ExtensionState[] = ['IDLE', 'RINGING', 'BUSY', 'UNAVAILABLE', 'DND'];
const TYPES = ['OFFERED', 'OFFERED', 'OFFERED', 'ANSWERED', 'ABANDONED', 'COMPLETED'] as const;

/** `n` events of every source over `tenants`, from `start` on (one every 100 ms of event time), seeded. */
export function mixedEvents(seed: number, n: number, start: number, tenants = ['acme', 'globex']): TelemetryEvent[] {
  const rand = seededRandom(seed);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const groups = ['sales', 'support', 'billing', 'care', 'vip'];
  const out: TelemetryEvent[] = [];
  for (let i = 0; i < n; i++) {
    const tenant = pick(tenants);
    const ts = start + i * 100;
    const id = `${seed}-${i}`;
    const r = rand();
    if (r < 0.5) {
      out.push({
        v: 1,
        tenant,
        source: 'skillgroup',
        id,
        ts,
        body: { skillGroup: pick(groups), callId: `c${Math.floor(rand() * n * 0.3)}`, type: pick(TYPES) },
      });
    } else if (r < 0.8) {
      const skills = groups.filter(() => rand() < 0.4);
      out.push({
        v: 1,
        tenant,
        source: 'agent',
        id,
        ts,
        body: { agentId: `a${Math.floor(rand() * 40)}`, state: pick(AGENT_STATES), ...(skills.length > 0 ? { skillGroups: skills } : {}) },
      });
    } else {
      out.push({ v: 1, tenant, source: 'extension', id, ts, body: { extension: `x${Math.floor(rand() * 30)}`, state: pick(EXT_STATES) } });
    }
  }
  return out;
}

/** The entity an event is keyed by. */
function entity(e: TelemetryEvent): string {
  switch (e.source) {
    case 'skillgroup':
      return e.body.skillGroup;
    case 'agent':
      return e.body.agentId;
    case 'extension':
      return e.body.extension;
    case 'interval':
      return e.body.key;
  }
}

/** The partition (`<topic>:<n>`, of `partitions` per topic) an event is read from: a stable hash of its key. */
export function partitionOf(e: TelemetryEvent, partitions: number, prefix?: string): string {
  const h = createHash('sha1')
    .update(partitionKey(e.tenant, entity(e)))
    .digest()
    .readUInt32BE(0);
  return `${topicFor(e.source, prefix)}:${h % partitions}`;
}
