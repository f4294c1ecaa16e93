import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { MemoryBus } from '../adapters/bus/memory.js';
import { callbackQueueName, callbackTicketsToQueue, consumeCallbackQueue } from './callback-queue.js';
import { loadConfig } from './config.js';
import { systemClock } from '../adapters/clock.js';

function capture() {
  const lines: { level: number; msg: string }[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(JSON.parse(s)) });
  return { log, lines };
}

describe('callback tickets between split roles: the transport chosen from the config', () => {
  const config = loadConfig({ SLUICE_OPEN: 'true', KAFKA_TOPIC_PREFIX: 'acme.' });

  it('names the queue after the topic prefix', () => {
    expect(callbackQueueName(config)).toBe('acme.callback-tickets');
  });

  it('with neither Kafka nor Redis keeps the in-memory stand-in and warns once, on each side', async () => {
    const { log, lines } = capture();
    const closers: (() => Promise<void>)[] = [];
    const deps = { config, bus: new MemoryBus(), log, onClose: (fn: () => Promise<void>) => void closers.push(fn) };
    expect(await callbackTicketsToQueue(deps)).toBeUndefined();
    await consumeCallbackQueue(deps, { create: async () => {} }, 'w1', systemClock);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg)).toEqual([
      expect.stringMatching(/^callback tickets stay in this process/),
      expect.stringMatching(/receives no callback tickets/),
    ]);
    expect(closers).toEqual([]);
  });
});
