import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommanderError } from 'commander';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { validateEvent } from '../pipelines/events/schema.js';
import type { TelemetryEvent } from '../pipelines/events/types.js';
import { trafficCommand, TRAFFIC_EXIT, type TrafficIo } from './traffic.js';
import { BANK_FIELDS } from '../simulator/dataset.js';
import { busSink } from '../simulator/sinks.js';

const NOW = Date.UTC(2026, 0, 12, 12, 0);

async function run(args: string[], io: Partial<TrafficIo> = {}): Promise<{ stdout: string; stderr: string; code: number }> {
  let stdout = '';
  let stderr = '';
  const cmd = trafficCommand({
    stdout: { write: (s: string) => ((stdout += s), true) },
    stderr: { write: (s: string) => (stderr += s) },
    clock: new ManualClock(NOW),
    utcOffsetMinutes: () => 0,
    ...io,
  });
  cmd.exitOverride();
  try {
    await cmd.parseAsync(args, { from: 'user' });
    return { stdout, stderr, code: 0 };
  } catch (err) {
    if (err instanceof CommanderError) return { stdout, stderr, code: err.exitCode };
    throw err;
  }
}

const lines = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as TelemetryEvent);

describe('sluice traffic', () => {
  it('--stdout writes valid NDJSON, the same for the same seed, and a summary line on stderr', async () => {
    const args = [
      '--seed',
      '9',
      '--minutes',
      '30',
      '--tenants',
      'acme,globex',
      '--start',
      '09:30',
      '--peak',
      '3x@09:40+10m/2m',
      '--stdout',
    ];
    const a = await run(args);
    const b = await run(args);
    expect(a.code).toBe(0);
    expect(b.stdout).toBe(a.stdout);
    const events = lines(a.stdout);
    expect(events.every((e) => validateEvent(e).ok)).toBe(true);
    expect(events[0]!.ts).toBe(Date.UTC(2026, 0, 12, 9, 30));
    expect(new Set(events.map((e) => e.tenant))).toEqual(new Set(['acme', 'globex']));
    expect(a.stderr).toMatch(
      /^traffic seed 9: \d+ events \(agent \d+, extension \d+, skillgroup \d+, interval 12\) over 30 min from 2026-01-12T09:30:00\.000Z; calls offered \d+, answered \d+, abandoned \d+ → stdout in 0\.0 s\n$/,
    );
    expect(a.stderr).toContain(`${events.length} events`);
  });

  it('without --start, a run that is not real time ends now, so ingest accepts every event time', async () => {
    const events = lines((await run(['--minutes', '20'])).stdout);
    expect(events[0]!.ts).toBe(NOW - 20 * 60_000);
    expect(Math.max(...events.map((e) => e.ts))).toBeLessThanOrEqual(NOW);
  });

  it('--to posts to HTTP ingest with the key; --kafka publishes through the bus', async () => {
    const app = Fastify();
    let posted = 0;
    let auth: string | undefined;
    app.post<{ Body: { events: unknown[] } }>('/v1/events', async (req, reply) => {
      posted += req.body.events.length;
      auth = req.headers.authorization;
      return reply.status(202).send({ accepted: req.body.events.length, rejected: [] });
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const r = await run(['--minutes', '10', '--to', url, '--key', 'k1', '--batch', '1000']);
      expect(r.code).toBe(0);
      expect(auth).toBe('Bearer k1');
      expect(r.stdout).toContain(`${posted} events`);
      expect(r.stdout).toContain(`→ ${url}`);
    } finally {
      await app.close();
    }
    const bus = new MemoryBus();
    const r = await run(['--minutes', '10', '--kafka', 'broker-1:9092'], {
      kafka: async (brokers) => (expect(brokers).toEqual(['broker-1:9092']), busSink(bus)),
    });
    expect(r.code).toBe(0);
    expect(bus.partitions('sluice.skillgroup')).toBe(6);
    expect(r.stdout).toContain('→ kafka broker-1:9092');
  });

  it('--replay converts a dataset file, reports its malformed lines on stderr and keeps 1999 times with --stdout', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-traffic-'));
    const file = join(dir, 'calls.tsv');
    writeFileSync(
      file,
      `${[
        BANK_FIELDS.join('\t'),
        'AA0101\t1\t0\t0\tPS\t991012\t10:00:00\t10:00:10\t10\t10:00:10\t10:00:40\t30\tAGENT\t10:00:40\t10:02:40\t120\tDORIT',
        'AA0101\t2\t0\t0\tPS\t991012\t10:00:00\t10:00:10\t10\t0:00:00\t0:00:00\t0\t0:00:00\t0:00:00\t0:00:00\t0\tNO_SERVER',
        'AA0101\t3\t0\t0\tNW\t991012\t11:00:00\t11:00:10\t10\t11:00:10\t11:01:10\t60\tHANG\t0:00:00\t0:00:00\t0\tNO_SERVER',
        'AA0101\t4\t0\t0\tNW\t991012\t11:00:00\t11:00:10\t10\t11:00:10\t11:01:10\t60\tPHANTOM\t0:00:00\t0:00:00\t0\tNO_SERVER',
      ].join('\n')}\n`,
    );
    const r = await run(['--replay', 'anonymous-bank', '--file', file, '--stdout']);
    expect(r.code).toBe(0);
    expect(lines(r.stdout).map((e) => [e.ts, e.source === 'skillgroup' && e.body.type])).toEqual([
      [Date.UTC(1999, 9, 12, 8, 0, 10), 'OFFERED'],
      [Date.UTC(1999, 9, 12, 8, 0, 40), 'ANSWERED'],
      [Date.UTC(1999, 9, 12, 8, 2, 40), 'COMPLETED'],
      [Date.UTC(1999, 9, 12, 9, 0, 10), 'OFFERED'],
      [Date.UTC(1999, 9, 12, 9, 1, 10), 'ABANDONED'],
    ]);
    expect(r.stderr).toContain(
      "line 3: bad-field: outcome is '0:00:00', expected AGENT, HANG or PHANTOM (a time where the outcome should be)\n",
    );
    expect(r.stderr).toContain(
      'replay anonymous-bank: 5 events from 2 calls (answered 1, abandoned 1, never queued 0; 1 malformed lines skipped, 1 phantom ignored; times shifted 0 days) → stdout',
    );
    // Sent to a sink, the month moves by whole weeks to end before now (weekdays kept).
    const shifted = await run(['--replay', 'anonymous-bank', '--file', file, '--kafka', 'b:1'], { kafka: () => busSink(new MemoryBus()) });
    const days = Number(/times shifted (\d+) days/.exec(shifted.stdout)?.[1]);
    expect(days % 7).toBe(0);
    expect(Date.UTC(1999, 9, 12, 9, 1, 10) + days * 86_400_000).toBeLessThanOrEqual(NOW);
    expect(Date.UTC(1999, 9, 12, 9, 1, 10) + (days + 7) * 86_400_000).toBeGreaterThan(NOW);
  });

  it.each<[string, string[], RegExp]>([
    ['two destinations', ['--to', 'http://h:1', '--key', 'k', '--stdout'], /one destination/],
    ['--to without a key', ['--to', 'http://h:1'], /--to needs --key/],
    ['model options with --replay', ['--replay', 'anonymous-bank', '--seed', '3'], /drop --seed/],
    ['--file without --replay', ['--file', 'x.tsv'], /only with --replay/],
    ['a bad peak', ['--peak', '3x@25:00+60m'], /peak '3x@25:00\+60m' must look like/],
    ['a bad speed', ['--speed', 'fast'], /must be a number/],
    ['an unknown dataset', ['--replay', 'other'], /Allowed choices are anonymous-bank/],
    ['a missing dataset file', ['--replay', 'anonymous-bank', '--file', '/nonexistent.tsv'], /cannot load \/nonexistent\.tsv/],
  ])('refuses %s with exit code 2', async (_, args, message) => {
    const r = await run(args);
    expect(r.code).toBe(TRAFFIC_EXIT.usage);
    expect(r.stderr).toMatch(message);
  });

  it('exits with 1 when the destination fails', async () => {
    const r = await run(['--minutes', '5', '--kafka', 'b:1'], {
      kafka: async () => ({
        send: async () => {
          throw new Error('broker down');
        },
        close: async () => {},
      }),
    });
    expect(r.code).toBe(TRAFFIC_EXIT.failed);
    expect(r.stderr).toContain('sending to kafka b:1 failed: broker down');
  });
});
