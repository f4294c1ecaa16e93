import { describe, expect, it } from 'vitest';
import { SCENARIOS } from '../../bench/scenarios/definitions.js';
import { runScenario } from '../../bench/scenarios/run.js';

/**
 * The short version of every bench scenario against the real composition (startSluice on a
 * manual clock, chDB in process; the Redis outage stops and restarts its own redis-server).
 * Each expectation the scenario states must be met; `npm run bench` runs the full versions.
 */
describe('bench scenarios (short versions)', () => {
  for (const def of SCENARIOS) {
    it(`${def.name}: ${def.title}`, async () => {
      const r = await runScenario(def, { variant: 'short' });
      const failed = r.checks.filter((c) => !c.pass).map((c) => `${c.says}: ${c.observed}`);
      expect(failed).toEqual([]);
      expect(r.checks).toHaveLength(def.expectations.length);
      expect(r.samples).toHaveLength(Math.round(def.short.minutes * 60));
    }, 180_000);
  }
});
