import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const sluice = (args: string[], env: Record<string, string> = {}) =>
  spawnSync(process.execPath, ['bin/sluice.mjs', ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', ...env },
    timeout: 60_000,
  });

// Each case starts node + tsx a few times: seconds on a busy 2-core machine.
describe('sluice command line', { timeout: 60_000 }, () => {
  it('lists its commands in --help, and each command has its own help', () => {
    const top = sluice(['--help']);
    expect(top.status).toBe(0);
    for (const c of ['start', 'demo', 'replay', 'plan', 'traffic']) expect(top.stdout).toContain(c);
    const start = sluice(['start', '--help']);
    expect(start.stdout).toContain('--role <role>');
  });

  it('prints its version (package, commit, Node.js) for --version', () => {
    const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    const r = sluice(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(
      new RegExp(`^sluice ${pkg.version.replaceAll('.', '\\.')} \\(commit ([0-9a-f]{12}|unknown), node v\\d+\\.\\d+\\.\\d+\\)$`),
    );
  });

  it('checks a configuration without starting: valid prints the settings with secrets hidden, invalid names the problem (exit 2)', () => {
    const ok = sluice(['config', 'check', '--role', 'control'], {
      SLUICE_API_KEYS: 'acme-admin-key-000000000001:acme:admin',
      REDIS_URL: 'redis://:hunter2@127.0.0.1:1',
      SLUICE_DECISION_KEY: 'a-decision-key-of-at-least-32-characters',
    });
    expect(ok.status, ok.stderr).toBe(0);
    const settings = JSON.parse(ok.stdout) as Record<string, unknown>;
    expect(settings.role).toBe('control');
    expect(settings.redisUrl).toBe('redis://:***@127.0.0.1:1');
    expect(settings.decisionKey).toBe('***');
    expect(settings.apiKeys).toEqual([{ name: 'key#1', tenant: 'acme', role: 'admin' }]);
    expect(ok.stdout).not.toContain('hunter2');
    expect(ok.stdout).not.toContain('acme-admin-key');
    // Nothing listens on port 1: the check connected to nothing.
    const bad = sluice(['config', 'check', '--role', 'control'], {
      SLUICE_API_KEYS: 'acme-admin-key-000000000001:acme:admin',
      REDIS_URL: 'redis://127.0.0.1:1',
    });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('SLUICE_DECISION_KEY must be set');
  });

  it('replays an Asterisk queue_log file: per-queue JSON on stdout, bad lines with their numbers on stderr', () => {
    const r = sluice(['replay', '--format', 'asterisk-queue-log', 'pipelines/decoders/fixtures/queue_log', '--json']);
    expect(r.status).toBe(0);
    const queues = JSON.parse(r.stdout) as { queue: string; offered: number }[];
    expect(queues.map((q) => [q.queue, q.offered])).toEqual([
      ['billing', 2],
      ['sales', 6],
      ['support', 5],
    ]);
    expect(r.stderr).toMatch(/line 33: /);
    expect(sluice(['replay', '--format', 'nope', 'pipelines/decoders/fixtures/queue_log']).status).toBe(2);
  });

  it('plans staffing with Erlang C from the command line as one JSON object', () => {
    // Call Centre Helper's worked example: 100 calls per 30 min (200/h), AHT 180 s, 80% in 20 s → 14 agents.
    const r = sluice([
      'plan',
      '--rate',
      '200',
      '--aht',
      '180',
      '--target-sl',
      '0.8',
      '--target-time',
      '20',
      '--shrinkage',
      '0.3',
      '--json',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ agents: 14, scheduledAgents: 20 });
    expect(sluice(['plan', '--rate', '200', '--aht', '180', '--target-sl', '1.5', '--json']).status).toBe(2);
  });

  it('refuses to start with a bad configuration, naming it, exit code 2', () => {
    const noKeys = sluice(['start']);
    expect(noKeys.status).toBe(2);
    expect(noKeys.stderr).toContain('no API keys');
    const badPort = sluice(['start'], { PORT: 'eighty', SLUICE_API_KEYS: 'k123456789012345:acme:admin' });
    expect(badPort.status).toBe(2);
    expect(badPort.stderr).toContain('PORT must be integer');
    const badRole = sluice(['start', '--role', 'boss']);
    expect(badRole.status).not.toBe(0);
    expect(badRole.stderr).toContain('Allowed choices are all, pipeline, control, workflow');
  });

  it('sluice demo: PORT applies unless --port is given; with --use-env, API keys beside open mode stop it', () => {
    // Refused at configuration, before anything starts: the PORT of the environment was read.
    const badPort = sluice(['demo'], { PORT: 'eighty', CHDB_PATH: ':memory:' });
    expect(badPort.status, badPort.stderr).toBe(2);
    expect(badPort.stderr).toContain('PORT must be integer');
    // Without --use-env the demo leaves the keys out (test/integration/demo-cli.test.ts); with it they would meet open mode.
    const withKeys = sluice(['demo', '--use-env'], { SLUICE_API_KEYS: 'k123456789012345:acme:admin', CHDB_PATH: ':memory:' });
    expect(withKeys.status, withKeys.stderr).toBe(2);
    expect(withKeys.stderr).toMatch(/SLUICE_OPEN=true cannot be combined with API keys .*SLUICE_API_KEYS/);
  });

  it('never prints a Redis password when Redis cannot be reached', () => {
    const r = sluice(['start'], {
      SLUICE_API_KEYS: 'k123456789012345:acme:admin',
      REDIS_URL: 'redis://:hunter2-secret@127.0.0.1:1/0',
      CHDB_PATH: ':memory:',
      LOG_LEVEL: 'info',
    });
    expect(r.status, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/sluice: could not start: Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1\/0 not reachable/);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  });

  it('says why it could not start when a service is unreachable, exit code 1', () => {
    const r = sluice(['start'], {
      SLUICE_API_KEYS: 'k123456789012345:acme:admin',
      CLICKHOUSE_URL: 'http://127.0.0.1:1',
      LOG_LEVEL: 'silent',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/sluice: could not start: .*(ECONNREFUSED|connect)/);
  });
});
