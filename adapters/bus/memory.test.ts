import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventually } from '../../core/testing/eventually.js';
import { BusFullError, isBusFullError, MemoryBus } from './memory.js';
import { messageBusContract } from './bus.contract.js';
import type { GroupConsumer } from './types.js';

messageBusContract('in-memory twin', async () => new MemoryBus());

/** Waits until `check` holds, then one more turn: the handler that made it true finishes (its batch is in flight until it returns). */
async function settled(check: () => boolean, what: string): Promise<void> {
  await eventually(check, what, { timeoutMs: 4_000, intervalMs: 10 });
  await new Promise((r) => setTimeout(r, 0));
}

const values = (bus: MemoryBus, topic: string) => bus.log(topic, 0).map((m) => m.value.toString());

/** A member of `groupId` that records what it reads and commits up to `commitUpTo()` (exclusive), if anything. */
async function reader(
  bus: MemoryBus,
  topic: string,
  groupId: string,
  commitUpTo: () => number | undefined,
): Promise<{ consumer: GroupConsumer; got: number[] }> {
  const got: number[] = [];
  const consumer = bus.consumer({ groupId, topics: [topic] });
  await consumer.start(async (batch) => {
    got.push(...batch.messages.map((m) => m.offset));
    const upTo = commitUpTo();
    if (upTo !== undefined) await consumer.commit(topic, 0, Math.min(upTo, batch.messages.at(-1)!.offset + 1));
  });
  return { consumer, got };
}

describe('MemoryBus releases consumed messages', () => {
  it("frees the messages below every group's committed offset, and only those; later offsets go on from where they were (a group joining later starts from the oldest held)", async () => {
    const bus = new MemoryBus();
    const topic = `t-${randomUUID()}`;
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    let slowUpTo = 6;
    const fast = await reader(bus, topic, 'fast', () => Infinity);
    const slow = await reader(bus, topic, 'slow', () => slowUpTo);
    await producer.send(
      topic,
      Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    await settled(() => fast.got.length === 10 && slow.got.length === 10, 'both groups read the ten');
    // The slow group committed 6: messages 0–5 are freed, 6–9 kept for it.
    expect(values(bus, topic)).toEqual(['6', '7', '8', '9']);
    expect(bus.held).toBe(4);
    slowUpTo = Infinity;
    await producer.send(topic, [{ key: 'k', value: '10' }]);
    await settled(
      () => bus.held === 0,
      `everything committed by both groups freed (held ${bus.held}: ${values(bus, topic).join()}; read ${fast.got.join()} / ${slow.got.join()})`,
    );
    expect(fast.got).toEqual(Array.from({ length: 11 }, (_, i) => i));
    expect(slow.got).toEqual(Array.from({ length: 11 }, (_, i) => i));
    await fast.consumer.stop();
    await slow.consumer.stop();
    await producer.send(topic, [{ key: 'k', value: '11' }]);
    expect(bus.log(topic, 0).map((m) => m.offset)).toEqual([11]);
    const late = await reader(bus, topic, 'late', () => undefined);
    await settled(() => late.got.length === 1, 'the one held read by a new group');
    expect(late.got).toEqual([11]);
    await late.consumer.stop();
  });

  it('keeps every message of a topic no group has read, and of a group that never committed', async () => {
    const bus = new MemoryBus();
    const topic = `t-${randomUUID()}`;
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send(
      topic,
      Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    expect(bus.held).toBe(5);
    const r = await reader(bus, topic, 'never-commits', () => undefined);
    await settled(() => r.got.length === 5, 'the five read');
    expect(values(bus, topic)).toEqual(['0', '1', '2', '3', '4']);
    await r.consumer.stop();
  });

  it('holds at most maxMessages: at the limit it frees what every group was handed, and refuses whole a send that still does not fit', async () => {
    const bus = new MemoryBus({ maxMessages: 10 });
    const topic = `t-${randomUUID()}`;
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    const send = (from: number, n: number) =>
      producer.send(
        topic,
        Array.from({ length: n }, (_, i) => ({ key: 'k', value: String(from + i) })),
      );
    const r = await reader(bus, topic, 'never-commits', () => undefined);
    await send(0, 8);
    await settled(() => r.got.length === 8, 'the eight handed over');
    await send(8, 5); // 13 > 10: the eight handed over (though never committed) make room
    expect(values(bus, topic)).toEqual(['8', '9', '10', '11', '12']);
    await settled(() => r.got.length === 13, 'the five handed over');
    r.consumer.pause();
    await new Promise((resolve) => setTimeout(resolve, 100)); // lets the loop see the pause
    await send(13, 10); // frees 8–12, fills the bus with what the paused member has not been handed
    const refused = await send(23, 1).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(BusFullError);
    expect(isBusFullError(refused) && refused.retriable).toBe(true);
    expect(bus.held).toBe(10);
    expect(bus.log(topic, 0).map((m) => m.offset)).toEqual(Array.from({ length: 10 }, (_, i) => 13 + i)); // nothing of the refused send
    r.consumer.resume();
    await settled(() => r.got.length === 23, 'the ten handed over after resume');
    await send(23, 1);
    await settled(() => r.got.length === 24, 'the one sent after resume');
    expect(r.got).toEqual(Array.from({ length: 24 }, (_, i) => i));
    await r.consumer.stop();
  });

  it("a member joining after its group's committed messages were freed under the limit reads from the oldest message held", async () => {
    const bus = new MemoryBus({ maxMessages: 4 });
    const topic = `t-${randomUUID()}`;
    await bus.ensureTopics([{ topic, partitions: 1 }]);
    const producer = await bus.producer();
    const first = await reader(bus, topic, 'g', () => 1);
    await producer.send(
      topic,
      Array.from({ length: 4 }, (_, i) => ({ key: 'k', value: String(i) })),
    );
    await settled(() => first.got.length === 4, 'the four read');
    await producer.send(topic, [
      { key: 'k', value: '4' },
      { key: 'k', value: '5' },
    ]); // frees 0–3 though the group committed 1
    await first.consumer.stop();
    const second = await reader(bus, topic, 'g', () => undefined);
    await settled(() => second.got.length === 2, 'the two held');
    expect(second.got).toEqual([4, 5]);
    await second.consumer.stop();
  });

  it('stays bounded however many messages pass through a committing group', async () => {
    const bus = new MemoryBus();
    bus.maxBatch = 1000;
    const topic = `t-${randomUUID()}`;
    await bus.ensureTopics([{ topic, partitions: 2 }]);
    const producer = await bus.producer();
    let handled = 0;
    const consumer = bus.consumer({ groupId: 'g', topics: [topic] });
    await consumer.start(async (batch) => {
      handled += batch.messages.length;
      await consumer.commit(batch.topic, batch.partition, batch.messages.at(-1)!.offset + 1);
    });
    for (let i = 0; i < 100; i++) {
      await producer.send(
        topic,
        Array.from({ length: 1000 }, (_, j) => ({ key: `k${j}`, value: 'x' })),
      );
      await settled(() => handled === (i + 1) * 1000, 'the thousand handled');
      expect(bus.held).toBe(0);
    }
    await consumer.stop();
  });

  it('refuses a limit that is not a whole number ≥ 1, naming it', () => {
    expect(() => new MemoryBus({ maxMessages: 0 })).toThrow(/maxMessages must be a whole number ≥ 1, got 0/);
    expect(() => new MemoryBus({ maxMessages: 1.5 })).toThrow(/maxMessages/);
  });
});
