import { describe, expect, it } from 'vitest';
import type { BreakerStateName } from './breaker/machine.js';
import { DEFAULT_POLICY } from './policy/defaults.js';
import { decide } from './router.js';
import type { RouteRequest, RouteState } from './router.js';
import { CHANNEL_BREAKER_KEYS, compileTenant } from './routing-table.js';
import type { CompiledTenant } from './routing-table.js';
import type { Level } from './types.js';

function world(level: Level = 0, states: Record<string, BreakerStateName> = {}, weights: Record<string, number> = {}) {
  const acme = compileTenant({ tenant: 'acme', policy: DEFAULT_POLICY, cti: { primary: 'a', backup: 'b' } });
  acme.level = level;
  acme.groups.set('care', level);
  const tenants = new Map<string, CompiledTenant>([['acme', acme]]);
  const state: RouteState = { tenants, breakerState: (k) => states[k] ?? 'closed', ctiWeight: (k) => weights[k] ?? 1 };
  return { acme, state, states };
}

const req = (over: Partial<RouteRequest> = {}): RouteRequest => ({ tenant: 'acme', skillGroup: 'care', priority: 'normal', ...over });
const IVR = CHANNEL_BREAKER_KEYS;

describe('decide', () => {
  it('L0: agents on the primary CTI, backup on standby', () => {
    const { state } = world(0);
    expect(decide(req({ callId: 'c-1' }), state)).toMatchObject({
      target: 'agent',
      ctiNode: 'a',
      level: 0,
      probe: false,
      breakerKey: 'cti:a',
      ticket: false,
    });
    expect(decide(req(), state).reason).toBe('L0: normal → agent via primary CTI a (policy)');
  });

  it('fails over to the backup CTI, then to the next safer channel, never to an open breaker', () => {
    const { state, states } = world(0);
    states['cti:a'] = 'open';
    expect(decide(req(), state)).toMatchObject({ target: 'agent', ctiNode: 'b' });
    expect(decide(req(), state).reason).toMatch(/primary a unavailable/);
    states['cti:b'] = 'forced-open';
    expect(decide(req(), state)).toMatchObject({ target: 'smart_ivr', ctiNode: undefined });
    expect(decide(req(), state).reason).toMatch(/fallback: every target of L0 unavailable/);
    states[IVR.smart_ivr] = 'open';
    states[IVR.chat] = 'open';
    expect(decide(req(), state)).toMatchObject({ target: 'callback', ticket: true });
    states[IVR.callback] = 'open';
    expect(decide(req(), state).target).toBe('keypad_ivr');
    states[IVR.keypad_ivr] = 'open';
    expect(decide(req(), state)).toMatchObject({ target: 'reject', breakerKey: '' });
  });

  it('L1: low priority to smart IVR; active-active split weighted by health', () => {
    const { state } = world(1, {}, { 'cti:a': 3, 'cti:b': 1 });
    expect(decide(req({ priority: 'low' }), state).target).toBe('smart_ivr');
    const nodes = Array.from({ length: 4_000 }, (_, i) => decide(req({ callId: `call-${i}` }), state).ctiNode);
    const onA = nodes.filter((n) => n === 'a').length / nodes.length;
    expect(onA).toBeGreaterThan(0.7);
    expect(onA).toBeLessThan(0.8);
    const same = decide(req({ callId: 'call-7' }), state);
    expect(decide(req({ callId: 'call-7' }), state)).toBe(same);
  });

  it('splits consecutive calls independently, whatever the call ids look like (short, sequential: t6-c1, t6-c2, …)', () => {
    const { state } = world(1);
    for (const id of [(i: number) => `t6-c${i}`, (i: number) => `t1-c${i}`, (i: number) => `c${i}`, (i: number) => `${i}`]) {
      const nodes = Array.from({ length: 400 }, (_, i) => decide(req({ callId: id(i + 1) }), state).ctiNode);
      const onA = nodes.filter((n) => n === 'a').length / nodes.length;
      expect(onA).toBeGreaterThan(0.42);
      expect(onA).toBeLessThan(0.58);
      // A few calls in a row (a quiet tenant's half-minute) reach both nodes: blocks of 10 see both almost always.
      const blocks = Array.from({ length: 40 }, (_, b) => new Set(nodes.slice(b * 10, b * 10 + 10)).size === 2);
      expect(blocks.filter(Boolean).length, id(1)).toBeGreaterThanOrEqual(36);
    }
  });

  it('L2: normal and low to chat, then callback; vip still to agents', () => {
    const { state, states } = world(2);
    expect(decide(req(), state).target).toBe('chat');
    states[IVR.chat] = 'open';
    expect(decide(req({ priority: 'low' }), state)).toMatchObject({ target: 'callback', ticket: true });
    expect(decide(req({ priority: 'low' }), state).reason).toMatch(/policy choice 2/);
    expect(decide(req({ priority: 'vip' }), state).target).toBe('agent');
  });

  it('L3: keypad IVR with a callback ticket for all but vip/high', () => {
    const { state } = world(3);
    expect(decide(req(), state)).toMatchObject({ target: 'keypad_ivr', ticket: true, level: 3 });
    expect(decide(req({ priority: 'high' }), state)).toMatchObject({ target: 'agent', ticket: false });
  });

  it('skips agents when admission refused the call', () => {
    const { state } = world(0);
    const d = decide(req({ admitted: false }), state);
    expect(d.target).toBe('smart_ivr');
    expect(d.reason).toMatch(/admission limit reached/);
  });

  it('flags half-open targets as probes and moves on when the probe is refused', () => {
    const { state, states } = world(0);
    states['cti:a'] = 'half-open';
    const d = decide(req(), state);
    expect(d).toMatchObject({ target: 'agent', ctiNode: 'a', probe: true, breakerKey: 'cti:a' });
    expect(decide(req({ exclude: [d.breakerKey] }), state)).toMatchObject({ ctiNode: 'b', probe: false });
  });

  it('uses the higher of tenant and group level; an untracked group gets the tenant level', () => {
    const { state, acme } = world(0);
    acme.groups.set('billing', 2);
    expect(decide(req({ skillGroup: 'billing' }), state)).toMatchObject({ level: 2, target: 'chat' });
    acme.level = 1;
    const d = decide(req({ skillGroup: 'nowhere', priority: 'low' }), state);
    expect(d).toMatchObject({ level: 1, target: 'smart_ivr' });
    expect(d.reason).toMatch(/skill group not tracked/);
  });

  it('answers an unknown tenant with keypad IVR at L3, or reject when keypad IVR is open', () => {
    const { state, states } = world(0);
    expect(decide(req({ tenant: 'ghost' }), state)).toMatchObject({ target: 'keypad_ivr', level: 3 });
    states[IVR.keypad_ivr] = 'open';
    expect(decide(req({ tenant: 'ghost' }), state).target).toBe('reject');
  });

  it('treats an unknown priority as normal', () => {
    const { state } = world(1);
    expect(decide(req({ priority: 'gold' as never }), state).target).toBe('agent');
  });
});
