import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What this build of Sluice is: served as `sluice --version` and as the `sluice_build_info` metric. */
export interface BuildInfo {
  /** The package version (package.json). */
  readonly version: string;
  /** The git commit the files came from (`SLUICE_BUILD_COMMIT`, else the checkout's HEAD), or `unknown`. */
  readonly commit: string;
  /** The Node.js version running it. */
  readonly node: string;
}

/**
 * The package's folder: one level up from `app/` in a checkout, two from `dist/app/` in an installed package (the
 * first of the two holding package.json).
 */
const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = [join(HERE, '..'), join(HERE, '..', '..')].find((d) => existsSync(join(d, 'package.json'))) ?? join(HERE, '..');

/** The commit `npm run build` wrote beside the compiled files (an installed package has no .git to read it from). */
function builtCommit(root: string): string | undefined {
  try {
    const c = JSON.parse(readFileSync(join(root, 'dist', 'build.json'), 'utf8')) as { commit?: unknown };
    return typeof c.commit === 'string' && /^[0-9a-f]{7,40}$/.test(c.commit) ? c.commit.slice(0, 12) : undefined;
  } catch {
    return undefined;
  }
}

function readCommit(root: string, env: Record<string, string | undefined>): string {
  if (env.SLUICE_BUILD_COMMIT && /^[0-9a-f]{7,40}$/.test(env.SLUICE_BUILD_COMMIT)) return env.SLUICE_BUILD_COMMIT.slice(0, 12);
  const built = builtCommit(root);
  if (built && !existsSync(join(root, '.git'))) return built;
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    const ref = /^ref: (refs\/[A-Za-z0-9._/-]+)$/.exec(head)?.[1];
    const sha = ref ? readFileSync(join(root, '.git', ref), 'utf8').trim() : head;
    return /^[0-9a-f]{40}$/.test(sha) ? sha.slice(0, 12) : 'unknown';
  } catch {
    // An installed package has no .git; a packed ref is not worth parsing here.
    return 'unknown';
  }
}

let cached: BuildInfo | undefined;

/** This build's facts, read once. */
export function buildInfo(env: Record<string, string | undefined> = process.env): BuildInfo {
  if (cached) return cached;
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version?: unknown };
  cached = {
    version: typeof pkg.version === 'string' ? pkg.version : '0.0.0',
    commit: readCommit(ROOT, env),
    node: process.version,
  };
  return cached;
}
