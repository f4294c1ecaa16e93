/**
 * Reads samples out of a Prometheus text exposition (what `/metrics` serves) by name and labels, whatever order
 * the labels come in: tests ask for `{ tenant: 'demo', kind: 'warning' }` instead of matching a line with a regex
 * that breaks when a label is added or moved. prom-client writes this format but does not read it; the format is
 * https://prometheus.io/docs/instrumenting/exposition_formats/ (label values escape `\\`, `\"` and `\n`).
 */

/** One sample line. */
export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?[ \t]+(\S+)(?:[ \t]+-?\d+)?$/;

/** Parses the label set between the braces of a sample line. @throws Error on a malformed set */
function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf('=', i);
    if (eq < 0 || text[eq + 1] !== '"') throw new Error(`malformed labels in ${JSON.stringify(line)}`);
    const name = text.slice(i, eq).trim();
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        j += 1;
        value += text[j] === 'n' ? '\n' : text[j];
      } else value += text[j];
    }
    if (j >= text.length) throw new Error(`unterminated label value in ${JSON.stringify(line)}`);
    labels[name] = value;
    i = j + 1;
    while (i < text.length && (text[i] === ',' || text[i] === ' ')) i++;
  }
  return labels;
}

/** Every sample of `text` (comments and blank lines skipped). @throws Error on a line that is not a sample */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = LINE.exec(line);
    if (!m) throw new Error(`not a sample line: ${JSON.stringify(line)}`);
    out.push({ name: m[1]!, labels: m[2] ? parseLabels(m[2], line) : {}, value: Number(m[3]) });
  }
  return out;
}

/** Sum of the samples named `name` whose labels include every pair of `match` (0 when none). */
export function sampleSum(text: string | readonly Sample[], name: string, match: Readonly<Record<string, string>> = {}): number {
  const samples = typeof text === 'string' ? parseExposition(text) : text;
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}
