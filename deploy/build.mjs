#!/usr/bin/env node
// `npm run build`, last step (after the studio's Vite build and `tsc -p tsconfig.build.json`, which compiled the sources
// into dist/): copies the files the compiled code reads at run time beside it, at the same relative places (each module
// finds its files relative to itself: dist/app/routes/wallboard.js reads dist/app/wallboard/), and records the commit
// for `sluice --version`.
// Plain Node.js, no dependency: it runs in the package's own build.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

/** Folders of run-time files, and which of their files to take. */
const ASSETS = [
  // The wallboard page (served as static files).
  { dir: 'app/wallboard', take: (f) => !f.endsWith('.ts') },
  // The flows deployed for each tenant at start.
  { dir: 'workflow/flows', take: (f) => f.endsWith('.yaml') },
  // Dashboards as JSON, their schema (`sluice dashboards check`) and Grafana provisioning.
  { dir: 'dashboards/generated', take: (f) => f.endsWith('.json') },
  { dir: 'dashboards/schema', take: () => true },
  { dir: 'dashboards/provisioning', take: () => true },
  // The flow studio's page, built by Vite (`tsx studio/build.ts`, the first step of npm run build; served under /studio).
  { dir: 'studio/dist', take: (f) => f !== '.sources' },
];

if (!existsSync(join(dist, 'cli', 'sluice.js'))) {
  console.error('deploy/build.mjs: dist/cli/sluice.js is missing: run `tsc -p tsconfig.build.json` first (npm run build does)');
  process.exit(1);
}
for (const a of ASSETS) {
  const from = join(root, a.dir);
  if (!existsSync(from)) {
    console.error(`deploy/build.mjs: ${a.dir} is missing`);
    process.exit(1);
  }
  mkdirSync(join(dist, a.dir), { recursive: true });
  cpSync(from, join(dist, a.dir), {
    recursive: true,
    // Folders are walked; files are taken when the entry says so, tests never.
    filter: (src) => statSync(src).isDirectory() || (!basename(src).includes('.test.') && a.take(basename(src))),
  });
}

let commit = process.env.SLUICE_BUILD_COMMIT ?? '';
if (!/^[0-9a-f]{7,40}$/.test(commit)) {
  try {
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    commit = 'unknown';
  }
}
writeFileSync(join(dist, 'build.json'), `${JSON.stringify({ commit, builtAt: new Date().toISOString() })}\n`);
console.error(`deploy/build.mjs: assets copied into dist/, commit ${commit.slice(0, 12)}`);
