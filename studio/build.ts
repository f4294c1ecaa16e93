/**
 * Builds the studio's bundle (`studio/dist/`) with Vite when it is missing or older than its sources:
 * `npm start` runs it first (`prestart`), the browser test calls {@link ensureStudioBuilt}, and
 * `npm run build:studio` forces a build. The bundle is not committed; a fresh `npm install && npm start`
 * builds it.
 */
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('.', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.sources');

/** The studio's sources with their sizes and change times (what a build depends on), as one text. */
function sourcesFingerprint(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else files.push(p);
    }
  };
  walk(join(ROOT, 'src'));
  files.push(join(ROOT, 'index.html'), join(ROOT, 'vite.config.ts'), join(ROOT, '..', 'package-lock.json'));
  return files
    .filter((f) => existsSync(f))
    .sort()
    .map((f) => {
      const s = statSync(f);
      return `${f.slice(ROOT.length)} ${s.size} ${Math.round(s.mtimeMs)}`;
    })
    .join('\n');
}

/** Whether `studio/dist/` holds a build of the current sources. */
export function studioBuildIsCurrent(): boolean {
  return existsSync(join(DIST, 'index.html')) && existsSync(STAMP) && readFileSync(STAMP, 'utf8') === sourcesFingerprint();
}

/**
 * Builds the bundle unless it is current.
 *
 * @param force build even when current
 * @returns whether it built
 */
export async function ensureStudioBuilt(force = false): Promise<boolean> {
  if (!force && studioBuildIsCurrent()) return false;
  const { build } = await import('vite');
  await build({ configFile: join(ROOT, 'vite.config.ts'), logLevel: 'warn' });
  writeFileSync(STAMP, sourcesFingerprint());
  return true;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const force = process.argv.includes('--force');
  const started = Date.now();
  ensureStudioBuilt(force).then(
    (built) => console.log(built ? `studio: built studio/dist in ${Date.now() - started} ms` : 'studio: studio/dist is current'),
    (err: unknown) => {
      console.error('studio: build failed:', err);
      process.exit(1);
    },
  );
}
