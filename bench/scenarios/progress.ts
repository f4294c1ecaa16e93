/**
 * Runs a scenario with live figures (a progress bar on a terminal, a line a minute otherwise), for
 * `sluice bench` and `npm run bench`, and where their results go.
 */
import { fileURLToPath } from 'node:url';
import cliProgress from 'cli-progress';
import { runScenario, type RunOptions } from './run.js';
import type { ScenarioDefinition, ScenarioResult, TickSample } from './types.js';

/** Default folder for results: bench/results. */
export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

/** Runs one scenario with a progress bar on a terminal, or a line of figures every minute of scenario time otherwise. */
export async function runWithProgress(
  def: ScenarioDefinition,
  o: Omit<RunOptions, 'onTick'>,
  out: NodeJS.WriteStream = process.stdout,
): Promise<ScenarioResult> {
  const tty = out.isTTY === true;
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          format: `${def.name.padEnd(16)} [{bar}] {value}/{total} s | L{level} | lag {lag} ms | {calls} calls, {diverted} diverted | {eps} events/s`,
          hideCursor: true,
          stream: out,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let calls = 0;
  let diverted = 0;
  const onTick = (s: TickSample, total: number) => {
    for (const [k, v] of Object.entries(s.targets)) {
      calls += v;
      if (!k.startsWith('agent:') && k !== 'error' && k !== 'reject') diverted += v;
    }
    const live = { level: s.level, lag: s.lagMs, calls, diverted, eps: s.eventsPerSec };
    if (bar) {
      if (s.tick === 1) bar.start(total, 0, live);
      bar.update(s.tick, live);
    } else if (s.tick % 60 === 0 || s.tick === total) {
      process.stderr.write(
        `${def.name}: ${s.tick}/${total} s, L${s.level}, lag ${s.lagMs} ms, ${calls} calls (${diverted} diverted), ${s.eventsPerSec} events/s\n`,
      );
    }
  };
  try {
    return await runScenario(def, { ...o, onTick });
  } finally {
    bar?.stop();
  }
}
