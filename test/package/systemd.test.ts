import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const UNIT = new URL('../../deploy/systemd/sluice@.service', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'sluice-systemd-'));

/** The unit as an instance (`sluice@<role>.service`); ExecStart's node is this machine's when /usr/bin/node is missing. */
function instance(role: string): string {
  let text = readFileSync(UNIT, 'utf8');
  if (!existsSync('/usr/bin/node')) text = text.replace('ExecStart=/usr/bin/node ', `ExecStart=${process.execPath} `);
  const file = join(dir, `sluice@${role}.service`);
  writeFileSync(file, text);
  return file;
}

function systemdAnalyze(args: string[]) {
  const r = spawnSync('systemd-analyze', args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(`systemd-analyze is needed for this test (Debian's systemd package; .ci/run installs it): ${r.error.message}`);
  return r;
}

// The systemd unit shipped in the package (issue 21): valid for systemd, one role per instance, hardened.
describe('deploy/systemd/sluice@.service', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes systemd-analyze verify for every role', () => {
    for (const role of ['all', 'pipeline', 'control', 'workflow', 'reporting']) {
      const r = systemdAnalyze(['verify', instance(role)]);
      expect(`${r.stdout}${r.stderr}`, role).toBe('');
      expect(r.status, role).toBe(0);
    }
  });

  it('runs the role its instance names, from the settings files, restarting on failure but not on a refused configuration', () => {
    const text = readFileSync(UNIT, 'utf8');
    expect(text).toMatch(/^ExecStart=\S+ \/opt\/sluice\/node_modules\/sluice\/bin\/sluice\.mjs start --role %i$/m);
    expect(text).toMatch(/^EnvironmentFile=\/etc\/sluice\/sluice\.env$/m);
    expect(text).toMatch(/^EnvironmentFile=-\/etc\/sluice\/%i\.env$/m);
    expect(text).toMatch(/^Restart=on-failure$/m);
    expect(text).toMatch(/^RestartPreventExitStatus=2$/m);
  });

  it('is hardened: systemd rates its exposure low (≤ 2 of 10)', () => {
    const r = systemdAnalyze(['security', '--offline=true', instance('control')]);
    const level = /Overall exposure level for .*: ([\d.]+)/.exec(r.stdout)?.[1];
    expect(level, r.stdout + r.stderr).toBeDefined();
    expect(Number(level)).toBeLessThanOrEqual(2);
  });
});
