/** Writes the generated dashboards and compares them with what is committed. */
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildDashboards, dashboardJson } from './index.js';

/** `dashboards/generated/` in this checkout. */
export const GENERATED_DIR = fileURLToPath(new URL('./generated/', import.meta.url));

/** Writes every dashboard's JSON into `dir`; returns the files written. */
export async function writeDashboards(dir = GENERATED_DIR): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const { file, dashboard } of buildDashboards()) {
    await writeFile(`${dir}/${file}`, dashboardJson(dashboard));
    files.push(file);
  }
  return files;
}

/**
 * Differences between freshly built dashboards and the JSON files in `dir`: a file that differs, is
 * missing, or is there without a dashboard behind it. Empty when they are equal.
 */
export async function diffCommitted(dir = GENERATED_DIR): Promise<string[]> {
  const problems: string[] = [];
  const built = buildDashboards();
  for (const { file, dashboard } of built) {
    const committed = await readFile(`${dir}/${file}`, 'utf8').catch(() => undefined);
    if (committed === undefined) problems.push(`${file}: missing in ${dir} (run \`sluice dashboards build\`)`);
    else if (committed !== dashboardJson(dashboard))
      problems.push(`${file}: differs from what the code builds (run \`sluice dashboards build\` and commit)`);
  }
  const known = new Set(built.map((b) => b.file));
  for (const f of await readdir(dir).catch(() => [] as string[]))
    if (f.endsWith('.json') && !known.has(f)) problems.push(`${f}: no dashboard builds it (remove it)`);
  return problems;
}
