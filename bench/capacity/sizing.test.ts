import { describe, expect, it } from 'vitest';
import { demand, measureEventsPerCall, sizeDeployment } from './sizing.js';

describe('demand', () => {
  it('turns calls per hour, events per call and agents into events/s and decisions/s at the surge', () => {
    // 3600 calls/h × 3 = 3 calls/s; × 10 events = 30 events/s; 360 agents × 10 events/h = 1 event/s
    expect(demand({ agents: 360, callsPerHour: 3_600, eventsPerCall: 10, agentEventsPerHour: 10 }, 3)).toEqual({
      eventsPerSec: 31,
      decisionsPerSec: 3,
    });
    expect(demand({ agents: 0, callsPerHour: 7_200, eventsPerCall: 11, decisionsPerCall: 2 }, 1)).toEqual({
      eventsPerSec: 22,
      decisionsPerSec: 4,
    });
  });

  it('names a bad figure', () => {
    expect(() => demand({ agents: -1, callsPerHour: 1, eventsPerCall: 1 })).toThrow(/agents must be ≥ 0/);
    expect(() => demand({ agents: 1, callsPerHour: 1, eventsPerCall: 0 })).toThrow(/eventsPerCall must be > 0/);
    expect(() => demand({ agents: 1, callsPerHour: Number.NaN, eventsPerCall: 1 })).toThrow(/callsPerHour/);
  });
});

describe('sizeDeployment', () => {
  const cc = { agents: 1_000, callsPerHour: 12_000, eventsPerCall: 12, agentEventsPerHour: 0 };

  it('needs ceil(demand / (capacity × utilisation)) plus the spare', () => {
    // surge 3: 10 calls/s → 120 events/s, 10 decisions/s
    const s = sizeDeployment(cc, { eventsPerSec: 100, decisionsPerSec: 1_000 }, { utilisation: 0.5, spare: 1 });
    expect(s).toMatchObject({ eventsPerSec: 120, decisionsPerSec: 10, pipelineInstances: 3 + 1, controlInstances: 1 + 1 });
    expect(s.pipelineLoad).toBe(0.8); // 120 / (100 × 0.5 × 3)
    expect(s.controlLoad).toBe(0.02);
  });

  it('more capacity or less surge needs fewer instances; no spare means none added', () => {
    const a = sizeDeployment(cc, { eventsPerSec: 50, decisionsPerSec: 5 }, { spare: 0 });
    const b = sizeDeployment(cc, { eventsPerSec: 500, decisionsPerSec: 50 }, { spare: 0 });
    const c = sizeDeployment(cc, { eventsPerSec: 50, decisionsPerSec: 5 }, { spare: 0, surge: 1 });
    expect(a.pipelineInstances).toBe(Math.ceil(120 / 35));
    expect(a.controlInstances).toBe(Math.ceil(10 / 3.5));
    expect(b.pipelineInstances).toBe(1);
    expect(c.pipelineInstances).toBeLessThan(a.pipelineInstances);
  });

  it('rejects impossible options by name', () => {
    expect(() => sizeDeployment(cc, { eventsPerSec: 1, decisionsPerSec: 1 }, { utilisation: 0 })).toThrow(/utilisation/);
    expect(() => sizeDeployment(cc, { eventsPerSec: 1, decisionsPerSec: 1 }, { spare: 0.5 })).toThrow(/spare/);
    expect(() => sizeDeployment(cc, { eventsPerSec: 0, decisionsPerSec: 1 })).toThrow(/capacity.eventsPerSec/);
  });
});

describe('measureEventsPerCall', () => {
  it('divides all events by the calls offered', () => {
    const call = (type: string) => ({ source: 'skillgroup', body: { type } });
    const agent = { source: 'agent', body: {} };
    expect(measureEventsPerCall([call('OFFERED'), call('ANSWERED'), agent, agent, call('OFFERED'), call('ABANDONED')])).toBe(3);
    expect(() => measureEventsPerCall([agent])).toThrow(/no OFFERED call/);
  });
});
