import { appendFileSync, copyFileSync, mkdtempSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';
import { collectCommand, type CollectIo } from '../../cli/collect.js';
import { eventually } from '../../core/testing/eventually.js';

/*
 * `sluice collect asterisk-queue-log --follow` against a real Sluice (embedded: in-process bus, chDB) through
 * its real HTTP ingest, while the file is rotated by rename, truncated in place (copytruncate), and the
 * collector is stopped mid-file and restarted — once from its saved position, once from an older one (as if
 * it crashed after publishing a batch and before saving its position). Every line of the file is one event
 * (ENTERQUEUE → OFFERED, ABANDON → ABANDONED); in the end ClickHouse holds each exactly once and the minute
 * figures count each call once.
 */
const KEY = 'collect-acme-admin-key-01';
const NOW_S = Math.floor(Date.now() / 1000);
/** Call n: enters 600 s + … before now and abandons 5 s later; two lines, two events. */
let calls = 0;
function callLines(n: number): string {
  let text = '';
  for (let i = 0; i < n; i++) {
    const c = ++calls;
    const t = NOW_S - 900 + c;
    text += `${t}|${t}.${c}|sales|NONE|ENTERQUEUE||555${String(c).padStart(4, '0')}|1\n`;
    text += `${t + 5}|${t}.${c}|sales|NONE|ABANDON|1|1|5\n`;
  }
  return text;
}

class Exit {
  constructor(readonly code: number) {}
}

/** Starts `sluice collect …`; `stop()` ends a following one; `done` is its exit code and printed summary. */
function collect(args: string[]) {
  const ac = new AbortController();
  let out = '';
  let err = '';
  const io: CollectIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    exit: (code) => {
      throw new Exit(code);
    },
    stop: ac.signal,
  };
  const done = collectCommand(io)
    .parseAsync(['asterisk-queue-log', ...args], { from: 'user' })
    .then(
      () => 0,
      (e: unknown) => {
        if (e instanceof Exit) return e.code;
        throw e;
      },
    )
    .then((code) => ({ code, summary: out.trim() ? (JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, number>) : {}, err }));
  return { stop: () => ac.abort(), done };
}

describe('sluice collect asterisk-queue-log --follow, through the real HTTP ingest', () => {
  let sluice: Sluice;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-collect-'));
    const config = loadConfig({
      SLUICE_API_KEYS: `${KEY}:acme:admin`,
      SLUICE_TENANTS: 'acme',
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `collect_${process.pid}`,
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    sluice = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
  });
  afterAll(async () => {
    await sluice?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const stored = async () => {
    const ch = sluice.clickhouse;
    const rs = await ch.client.query({
      query: `SELECT count() AS n, uniqExact(id) AS u FROM ${ch.database}.events_raw FINAL WHERE tenant = 'acme'`,
      format: 'JSONEachRow',
    });
    const [r] = await rs.json<{ n: string; u: string }>();
    return { rows: Number(r!.n), ids: Number(r!.u) };
  };
  const waitStored = (n: number, what: string) => eventually(stored, (s) => s.rows === n, `${n} events stored (${what})`, 60_000);

  it('stores every line once through rotation, truncation and restarts, and the minute figures count each call once', async () => {
    const file = join(dir, 'queue_log');
    const state = join(dir, 'queue_log.position');
    const base = [
      '--follow',
      file,
      '--state',
      state,
      '--to',
      sluice.url,
      '--key',
      KEY,
      '--tenant',
      'acme',
      '--poll-ms',
      '50',
      '--batch',
      '25',
    ];
    writeFileSync(file, `${NOW_S - 1000}|NONE|NONE|NONE|QUEUESTART|\n${callLines(20)}`);

    // 1. Following: 20 calls (40 events), then 10 more appended.
    const a = collect(base);
    await waitStored(40, 'first lines');
    appendFileSync(file, callLines(10));
    await waitStored(60, 'appended lines');

    // 2. Rotation by rename: the old file gets 3 more calls after the rename (the PBX still holds it), then a new file.
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, callLines(3));
    writeFileSync(file, callLines(7));
    await waitStored(80, 'the rotated file read to its end, then the new file');

    // 3. copytruncate: copied away, cut to nothing, written again.
    copyFileSync(file, `${file}.2`);
    truncateSync(file, 0);
    appendFileSync(file, callLines(5));
    await waitStored(90, 'the truncated file read again from its start');

    // 4. Stopped mid-file; the saved position is kept aside (a crash after the next publish, before its save).
    a.stop();
    const first = await a.done;
    expect(first.code).toBe(0);
    expect(first.summary).toMatchObject({ events: 90, ignored: 1, rejected: 0, serverRejected: 0 });
    expect(first.err).toMatch(/rotated: inode \d+ read to its end/);
    expect(first.err).toMatch(/truncated: inode \d+ was cut back/);
    const older = readFileSync(state, 'utf8');

    appendFileSync(file, callLines(15));
    const b = collect([...base, '--once']);
    expect((await b.done).summary).toMatchObject({ lines: 30, events: 30 });
    await waitStored(120, 'the restarted collector went on at the saved position');

    // The older position again: the last 30 lines are sent a second time, with the same ids: still 120.
    writeFileSync(state, older);
    const c = collect([...base, '--once']);
    expect((await c.done).summary).toMatchObject({ lines: 30, events: 30, serverAccepted: 30 });
    // A line more proves the resent batch has been through the pipeline by the time it is stored.
    appendFileSync(file, callLines(1));
    const d = collect([...base, '--once']);
    expect((await d.done).summary).toMatchObject({ lines: 2, events: 2 });
    await waitStored(122, 'the last call');
    expect(await stored()).toEqual({ rows: 122, ids: 122 });

    // Figures: 61 calls offered and abandoned, each once, whatever was sent twice.
    const from = (NOW_S - 1_000) * 1000;
    const rows = await eventually(
      async () =>
        (
          await sluice.app.inject({
            url: `/v1/reports/minutes?from=${from - (from % 60_000)}&to=${NOW_S * 1000}`,
            headers: { 'x-api-key': KEY },
          })
        ).json().rows as { offered: number; abandoned: number }[],
      (r) => r.reduce((n, x) => n + x.abandoned, 0) >= 61,
      'minute rows of every call',
      60_000,
    );
    expect([rows.reduce((n, x) => n + x.offered, 0), rows.reduce((n, x) => n + x.abandoned, 0)]).toEqual([61, 61]);
  });
});
