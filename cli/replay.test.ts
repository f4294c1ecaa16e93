import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { replayCommand, type ReplayIo } from './replay.js';

const fixture = fileURLToPath(new URL('../pipelines/decoders/fixtures/queue_log', import.meta.url));
const expected = JSON.parse(readFileSync(new URL('../pipelines/decoders/fixtures/queue_log.expected.json', import.meta.url), 'utf8')) as {
  queues: { queue: string }[];
};

class Exit {
  constructor(readonly code: number) {}
}

/** Runs `sluice replay …args` with captured output; `code` is 0 when the command returned normally. */
async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: ReplayIo = {
    stdout: (t) => void (out += t),
    stderr: (t) => void (err += t),
    exit: (code) => {
      throw new Exit(code);
    },
    now: () => 1_718_100_000_000,
  };
  try {
    await replayCommand(io).parseAsync(args, { from: 'user' });
    return { code: 0, out, err };
  } catch (e) {
    if (e instanceof Exit) return { code: e.code, out, err };
    throw e;
  }
}

describe('sluice replay', () => {
  it('prints the per-queue figures as JSON, bad lines with their numbers on stderr, and exits 0', async () => {
    const r = await run('--format', 'asterisk-queue-log', fixture, '--json', '--tenant', 'acme');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(expected.queues);
    expect(r.err.split('\n')).toEqual([
      'line 33: truncated: CONNECT takes 1 data field (holdtime), 2 (holdtime|bridged channel uniqueid) or 3 (holdtime|bridged channel uniqueid|ringtime), got 0',
      "line 49: malformed: epoch '17180004!0' is not a whole number of seconds",
      '2 lines of 53 could not be decoded; 5 ignored (not queue events or informational)',
      '',
    ]);
  });

  it('prints a table without --json, under the default tenant', async () => {
    const r = await run('--format', 'asterisk-queue-log', fixture);
    expect(r.code).toBe(0);
    const rows = r.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^queue\s+offered\s+answered\s+abandoned\s+timedOut\s+asaSec\s+avgTalkSec\s+maxWaitSec$/);
    expect(rows.slice(1).map((l) => l.split(/\s+/))).toEqual([
      ['billing', '2', '1', '0', '1', '20', '80', '45'],
      ['sales', '6', '2', '2', '1', '17.5', '90', '60'],
      ['support', '5', '1', '2', '0', '5', '120', '40'],
    ]);
  });

  it('exits 0 on an empty file, with an empty array', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-replay-'));
    try {
      const file = join(dir, 'empty.log');
      writeFileSync(file, '');
      expect(await run('--format', 'asterisk-queue-log', file, '--json')).toEqual({ code: 0, out: '[]\n', err: '' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--format', 'avaya-cms', fixture], "unknown format 'avaya-cms' (known: asterisk-queue-log, json)"],
    [['--format', 'asterisk-queue-log', '/nonexistent/queue_log'], 'cannot read /nonexistent/queue_log: no such file'],
    [['--format', 'asterisk-queue-log', tmpdir()], `cannot read ${tmpdir()}: not a regular file`],
    [
      ['--format', 'asterisk-queue-log', fixture, '--tenant', 'Acme'],
      "--tenant must be lower-case letters, digits, _ and - (at most 63), got 'Acme'",
    ],
    [['--format', 'asterisk-queue-log', fixture, '--service-level', '2.5'], "--service-level must be a whole number of seconds, got '2.5'"],
  ])('exits 2 on a usage error: %j', async (args, message) => {
    const r = await run(...args);
    expect(r).toEqual({ code: 2, out: '', err: `sluice replay: ${message}\n` });
  });

  it('exits 2 when commander itself refuses the arguments (missing file, missing --format, unknown option)', async () => {
    for (const args of [['--format', 'json'], [fixture], ['--format', 'json', fixture, '--fast']]) {
      const r = await run(...args);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^error: /);
    }
  });

  it('exits 0 after printing --help', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('--format <format>');
  });
});
