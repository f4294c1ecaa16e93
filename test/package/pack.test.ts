import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../services/ports.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const KEY = 'pack-acme-admin-key-000000001';

/** The environment of this test without any deployment's settings: the installed Sluice uses its embedded twins. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(KAFKA|REDIS|CLICKHOUSE|SLUICE)_/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number) {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, env: cleanEnv({}), maxBuffer: 64 << 20 });
  if (r.error || r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${(r.stdout + r.stderr).slice(-3000)}`);
  return r.stdout;
}

/**
 * podman options that make containers start on test machines like these: runc rather than crun (crun refuses a host
 * whose cgroups are v1 with an empty v2 hierarchy mounted beside, "cgroups in hybrid mode not supported"), and the
 * open-file limit this process has and a process limit (podman's defaults are higher, and raising a limit needs
 * CAP_SYS_RESOURCE, which a sandbox may lack). On an ordinary host none of this is needed; it changes nothing the
 * image does.
 */
function containerOptions(): string[] {
  const hardNofile = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).stdout.trim();
  const nofile = /^\d+$/.test(hardNofile) ? hardNofile : '4096';
  // Processes and threads of the container's user: far above what Sluice (and chDB's thread pools) start.
  const nproc = '4096';
  const runc = spawnSync('runc', ['--version']).status === 0;
  return [...(runc ? ['--runtime', 'runc'] : []), '--ulimit', `nofile=${nofile}:${nofile}`, '--ulimit', `nproc=${nproc}:${nproc}`];
}

// Something to install (issue 21): `npm pack` (which builds), the tarball installed into an empty folder from the
// registry, and the `sluice` it installs run there — compiled JavaScript, no checkout, no TypeScript.
describe('the npm package', () => {
  let dir: string;
  let tarball: string;
  let files: string[];
  let app: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sluice-pack-'));
    const packed = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', dir], ROOT, 600_000).replace(/^[^[]*/, '')) as {
      filename: string;
      files: { path: string }[];
    }[];
    tarball = join(dir, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path);
    app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), '{"name": "sluice-install-test", "private": true}\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app, 900_000);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('holds the compiled JavaScript and every file it reads at run time, and no TypeScript', () => {
    for (const f of [
      'bin/sluice.mjs',
      'dist/cli/sluice.js',
      'dist/app/main.js',
      'dist/build.json',
      'dist/app/wallboard/index.html',
      'dist/app/wallboard/wallboard.js',
      'dist/workflow/flows/callback.yaml',
      'dist/workflow/flows/fee-reduction.yaml',
      'dist/dashboards/generated/queues.json',
      'dist/dashboards/schema/dashboard.jsonschema.json',
      'dist/dashboards/provisioning/alerts/sluice.rules.yml',
      'docs/runbook.md',
      'dist/studio/dist/index.html',
      'deploy/systemd/sluice@.service',
      'README.md',
      'package.json',
    ])
      expect(files, f).toContain(f);
    expect(files.filter((f) => /(?<!\.d)\.ts$/.test(f))).toEqual([]);
    expect(files.filter((f) => /\.test\.|node_modules\//.test(f))).toEqual([]);
  });

  it('installed into an empty folder: npx sluice --version, and sluice start with keys answers /readyz, serves the wallboard, the studio and the shipped flows, and stops cleanly', async () => {
    const installed = join(app, 'node_modules', 'sluice');
    expect(existsSync(join(installed, 'dist', 'cli', 'sluice.js'))).toBe(true);
    expect(existsSync(join(installed, 'cli', 'sluice.ts'))).toBe(false);
    expect(run('npx', ['--no-install', 'sluice', '--version'], app, 60_000).trim()).toMatch(
      new RegExp(`^sluice ${VERSION.replace(/\./g, '\\.')} \\(commit [0-9a-f]{12}, node v\\d+`),
    );

    const port = await freePort();
    // The installed command itself (what `npx sluice` runs, and systemd and the image run): npm exec does not pass
    // SIGTERM on to it, and the test stops it with one.
    const child = spawn(join(app, 'node_modules', '.bin', 'sluice'), ['start', '--port', String(port)], {
      cwd: app,
      env: cleanEnv({ SLUICE_API_KEYS: `${KEY}:acme:admin`, CHDB_PATH: join(app, 'chdb'), LOG_LEVEL: 'info' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const base = `http://127.0.0.1:${port}`;
      await expect
        .poll(async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.status, { timeout: 120_000, interval: 500 })
        .toBe(200);
      expect((await fetch(`${base}/wallboard`)).status).toBe(200);
      expect((await fetch(`${base}/studio`)).status).toBe(200);
      const flows = await fetch(`${base}/v1/flows`, { headers: { authorization: `Bearer ${KEY}` } });
      expect(flows.status).toBe(200);
      expect(JSON.stringify(await flows.json())).toContain('fee-reduction');
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, out.slice(-3000)).toBe(0);
    // Every line JSON, as deployed.
    const lines = out.split('\n').filter((l) => l.trim());
    expect(
      lines.filter((l) => !l.startsWith('{')),
      out.slice(-3000),
    ).toEqual([]);
    expect(out).toContain('"msg":"stopped"');
  });

  it('builds a container image from Debian packages (debootstrap, podman) whose health probe answers once it runs', async () => {
    const image = `localhost/sluice-test:${process.pid}`;
    const name = `sluice-test-${process.pid}`;
    const built = spawnSync('bash', [join(ROOT, 'deploy', 'container', 'build.sh'), tarball, image], {
      encoding: 'utf8',
      timeout: 1_200_000,
      env: cleanEnv({ PODMAN_BUILD_OPTS: containerOptions().join(' ') }),
      maxBuffer: 64 << 20,
    });
    expect(built.status, `deploy/container/build.sh failed: ${(built.error?.message ?? '') + built.stderr.slice(-3000)}`).toBe(0);
    const port = await freePort();
    try {
      run(
        'podman',
        [
          'run',
          ...containerOptions(),
          '-d',
          '--name',
          name,
          '-p',
          `127.0.0.1:${port}:8080`,
          '-e',
          `SLUICE_API_KEYS=${KEY}:acme:admin`,
          image,
        ],
        app,
        120_000,
      );
      await expect
        .poll(async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status, {
          timeout: 120_000,
          interval: 500,
        })
        .toBe(200);
      // The image's own HEALTHCHECK, as podman (or an orchestrator reading it) runs it inside the container.
      expect(spawnSync('podman', ['healthcheck', 'run', name], { encoding: 'utf8' }).status).toBe(0);
      run('podman', ['stop', '-t', '30', name], app, 60_000);
      expect(run('podman', ['inspect', '--format', '{{.State.ExitCode}}', name], app, 30_000).trim()).toBe('0');
      const logs = spawnSync('podman', ['logs', name], { encoding: 'utf8' });
      // podman's own complaints (logfmt: `time="…" level=…`, e.g. no systemd to time the HEALTHCHECK here) are not the container's.
      const lines = `${logs.stdout}${logs.stderr}`.split('\n').filter((l) => l.trim() && !/^time="[^"]*" level=/.test(l));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([]);
    } finally {
      spawnSync('podman', ['rm', '-f', name]);
      spawnSync('podman', ['rmi', '-f', image]);
    }
  });
});
