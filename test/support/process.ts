import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { BusMessage, MessageBus } from '../../adapters/bus/types.js';
import { eventually } from '../../core/testing/eventually.js';

/** A `sluice` child process with its output kept for assertion messages. */
export interface SluiceProcess {
  readonly child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/** Starts `node bin/sluice.mjs <args>` with `env` added to this process's environment. */
export function spawnSluice(args: string[], env: Record<string, string>): SluiceProcess {
  const child = spawn(process.execPath, ['bin/sluice.mjs', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (b: Buffer) => {
    out = (out + b.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exited };
}

/** Reads a topic from the beginning in a new group until `until` holds for what was read (or `ms` pass). */
export async function readTopic(
  bus: MessageBus,
  topic: string,
  until: (msgs: BusMessage[]) => boolean,
  ms = 30_000,
): Promise<BusMessage[]> {
  const got: BusMessage[] = [];
  const consumer = bus.consumer({ groupId: `reader-${randomUUID()}`, topics: [topic] });
  await consumer.start(async (batch) => {
    got.push(...batch.messages);
  });
  try {
    await eventually(async () => got, until, `messages on ${topic}`, ms);
  } finally {
    await consumer.stop();
  }
  return got;
}
