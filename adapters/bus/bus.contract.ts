import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../../core/testing/eventually.js';
import type { BusMessage, MessageBatch, MessageBus } from './types.js';

/** Patience for a real broker (a consumer group join takes seconds), tried often for the in-memory twin. */
const wait = (timeoutMs = 30_000) => ({ timeoutMs, intervalMs: 25 });

/**
 * The behaviour every {@link MessageBus} must have, run against the real Kafka adapter
 * (test/integration) and the in-memory twin (unit).
 */
export function messageBusContract(name: string, make: () => Promise<MessageBus>): void {
  describe(`MessageBus contract: ${name}`, () => {
    let bus: MessageBus;
    beforeAll(async () => {
      bus = await make();
    });
    afterAll(async () => {
      await bus.close();
    });

    it('delivers every message of a key in order to a group member, with the headers and timestamps sent', async () => {
      const topic = `contract-order-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 3 }]);
      const producer = await bus.producer();
      const keys = ['t1:sales', 't1:support', 't2:sales', 't2:billing'];
      const sent = keys.flatMap((key) =>
        Array.from({ length: 25 }, (_, i) => ({
          key,
          value: `${key}#${i}`,
          timestamp: 1_700_000_000_000 + i,
          headers: { source: 'skillgroup' },
        })),
      );
      await producer.send(topic, sent);
      const got: BusMessage[] = [];
      let lastBatch: MessageBatch | undefined;
      const consumer = bus.consumer({ groupId: `g-${randomUUID()}`, topics: [topic] });
      await consumer.start(async (batch) => {
        got.push(...batch.messages);
        lastBatch = batch;
      });
      await eventually(() => got.length >= sent.length, 'all messages', wait());
      await consumer.stop();
      expect(got).toHaveLength(sent.length);
      for (const key of keys) {
        const values = got.filter((m) => m.key === key).map((m) => m.value.toString());
        expect(values).toEqual(sent.filter((m) => m.key === key).map((m) => m.value));
      }
      const first = got.find((m) => m.value.toString() === 't1:sales#3')!;
      expect(first.timestamp).toBe(1_700_000_000_003);
      expect(lastBatch?.highWatermark).toBeGreaterThan(lastBatch!.messages.at(-1)!.offset);
      expect(first.headers).toEqual({ source: 'skillgroup' });
      await producer.close();
    });

    it('a new member of the group resumes after the committed offset, and re-reads what was not committed', async () => {
      const topic = `contract-commit-${randomUUID()}`;
      const groupId = `g-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const producer = await bus.producer();
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      const first: number[] = [];
      const c1 = bus.consumer({ groupId, topics: [topic] });
      await c1.start(async (batch, ctl) => {
        for (const m of batch.messages) first.push(Number(m.value.toString()));
        const upTo = batch.messages.find((m) => Number(m.value.toString()) === 5);
        if (upTo && !ctl.isStale()) await c1.commit(batch.topic, batch.partition, upTo.offset + 1, '{"resume":"after 5"}');
      });
      await eventually(() => first.length >= 10, 'first read', wait());
      await c1.stop();
      expect((await bus.committed(groupId, topic)).get(0)).toBe(6);
      // The metadata committed with the offset is read back with it, and a commit without any clears it.
      expect(await bus.committedMetadata(groupId, topic)).toEqual(new Map([[0, '{"resume":"after 5"}']]));
      expect(await bus.committedMetadata(`g-${randomUUID()}`, topic)).toEqual(new Map());

      const second: number[] = [];
      const c2 = bus.consumer({ groupId, topics: [topic] });
      await c2.start(async (batch, ctl) => {
        for (const m of batch.messages) second.push(Number(m.value.toString()));
        if (!ctl.isStale()) await c2.commit(batch.topic, batch.partition, batch.messages.at(-1)!.offset + 1);
      });
      await eventually(() => second.length >= 4, 'second read', wait());
      await eventually(async () => (await bus.committed(groupId, topic)).get(0) === 10, 'second commit', wait());
      await c2.stop();
      expect(second).toEqual([6, 7, 8, 9]);
      expect(await bus.committedMetadata(groupId, topic)).toEqual(new Map());
      await producer.close();
    });

    it('offsets keep their meaning once consumed messages are committed: a new member reads on from the committed offset', async () => {
      const topic = `contract-offsets-${randomUUID()}`;
      const groupId = `g-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const producer = await bus.producer();
      await producer.send(
        topic,
        Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      let read = 0;
      const c1 = bus.consumer({ groupId, topics: [topic] });
      await c1.start(async (batch, ctl) => {
        read += batch.messages.length;
        if (!ctl.isStale()) await c1.commit(batch.topic, batch.partition, batch.messages.at(-1)!.offset + 1);
      });
      await eventually(
        async () => read >= 10 && (await bus.committed(groupId, topic)).get(0) === 10,
        'the first ten read and committed',
        wait(),
      );
      await c1.stop();
      await producer.send(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: String(10 + i) })),
      );
      const second: BusMessage[] = [];
      const c2 = bus.consumer({ groupId, topics: [topic] });
      await c2.start(async (batch) => {
        second.push(...batch.messages);
      });
      await eventually(() => second.length >= 5, 'the five sent after the commit', wait());
      await c2.stop();
      expect(second.map((m) => [m.offset, m.value.toString()])).toEqual([10, 11, 12, 13, 14].map((o) => [o, String(o)]));
      await producer.close();
    });

    it('a batch whose handler failed is handed over again, so nothing uncommitted is skipped', async () => {
      const topic = `contract-redeliver-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const producer = await bus.producer();
      await producer.send(
        topic,
        Array.from({ length: 5 }, (_, i) => ({ key: 'k', value: String(i) })),
      );
      const seen: number[] = [];
      let failures = 0;
      const consumer = bus.consumer({ groupId: `g-${randomUUID()}`, topics: [topic] });
      await consumer.start(async (batch) => {
        if (failures === 0) {
          failures++;
          throw new Error('the sink is down');
        }
        seen.push(...batch.messages.map((m) => m.offset));
      });
      await eventually(() => seen.length >= 5, 'the batch handed over again', wait());
      await consumer.stop();
      expect(failures).toBe(1);
      expect(seen.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
      await producer.close();
    });

    it('pause stops delivery until resume', async () => {
      const topic = `contract-pause-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 1 }]);
      const producer = await bus.producer();
      const got: string[] = [];
      const consumer = bus.consumer({ groupId: `g-${randomUUID()}`, topics: [topic] });
      await consumer.start(async (batch) => {
        for (const m of batch.messages) got.push(m.value.toString());
      });
      await producer.send(topic, [{ key: 'k', value: 'a' }]);
      await eventually(() => got.length === 1, 'first message', wait());
      consumer.pause();
      await producer.send(topic, [{ key: 'k', value: 'b' }]);
      await new Promise((r) => setTimeout(r, 1500));
      expect(got).toEqual(['a']);
      consumer.resume();
      await eventually(() => got.length === 2, 'message after resume', wait());
      expect(got).toEqual(['a', 'b']);
      await consumer.stop();
      await producer.close();
    });

    it('two members of one group share the partitions and together read every message once', async () => {
      const topic = `contract-group-${randomUUID()}`;
      const groupId = `g-${randomUUID()}`;
      await bus.ensureTopics([{ topic, partitions: 4 }]);
      const producer = await bus.producer();
      const a: BusMessage[] = [];
      const b: BusMessage[] = [];
      const partsA = new Set<number>();
      const partsB = new Set<number>();
      const ca = bus.consumer({ groupId, topics: [topic] });
      const cb = bus.consumer({ groupId, topics: [topic] });
      await ca.start(async (batch) => {
        partsA.add(batch.partition);
        a.push(...batch.messages);
        await ca.commit(batch.topic, batch.partition, batch.messages.at(-1)!.offset + 1);
      });
      await cb.start(async (batch) => {
        partsB.add(batch.partition);
        b.push(...batch.messages);
        await cb.commit(batch.topic, batch.partition, batch.messages.at(-1)!.offset + 1);
      });
      // Give the group time to settle on two members before producing.
      await new Promise((r) => setTimeout(r, 4000));
      await producer.send(
        topic,
        Array.from({ length: 200 }, (_, i) => ({ key: `key-${i}`, value: String(i) })),
      );
      await eventually(() => a.length + b.length >= 200, 'all messages across the group', wait(45_000));
      const seen = [...a, ...b].map((m) => Number(m.value.toString())).sort((x, y) => x - y);
      expect(seen).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(a.length).toBeGreaterThan(0);
      expect(b.length).toBeGreaterThan(0);
      expect([...partsA].filter((p) => partsB.has(p))).toEqual([]);
      await ca.stop();
      await cb.stop();
      await producer.close();
    });
  });
}
