import { describe, expect, it } from 'vitest';
import { ManualClock } from '../adapters/clock.js';
import { MemoryWorkQueue } from '../adapters/queue/memory.js';
import type { CallbackTicketRequest, CallbackTickets } from '../core/messages.js';
import { CallbackQueueConsumer, consumeCallbackTopic, handleCallbackRequest } from './callback-consumer.js';
import { MemoryBus } from '../adapters/bus/memory.js';
import { createWorkflow } from './wire.js';

const T0 = Date.parse('2026-03-02T09:00:00Z');
const request: CallbackTicketRequest = {
  tenant: 'acme',
  callId: 'call-1',
  skillGroup: 'billing',
  priority: 'high',
  reason: 'L3: agent queue over limit',
  decisionId: 'd-42',
};

function logSink() {
  const warnings: { reason?: string }[] = [];
  return { warnings, log: { warn: (o: object) => void warnings.push(o as { reason?: string }) } };
}

async function until(check: () => boolean | Promise<boolean>, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('callback ticket requests from another process', () => {
  it('creates one ticket per decision even when the request is delivered twice, and acknowledges it', async () => {
    const wf = await createWorkflow({ clock: new ManualClock(T0), instanceId: 'i1', tenants: ['acme'] });
    await wf.start();
    const queue = new MemoryWorkQueue({ claimAfterMs: 50 });
    const { log, warnings } = logSink();
    const c = new CallbackQueueConsumer({ queue, tickets: wf.callbackTickets, consumer: 'w1', log, waitMs: 20 });
    c.start();
    await queue.add(JSON.stringify(request));
    await queue.add(JSON.stringify(request));
    await queue.add(JSON.stringify({ ...request, decisionId: 'd-43' }));
    await until(() => c.stats().created === 3);
    await c.stop();
    const page = await wf.engine.list('acme', { flowId: 'callback' });
    expect(page.items.map((t) => t.id).sort()).toEqual(['cb-d-42', 'cb-d-43']);
    expect(warnings).toEqual([]);
    // Every entry was acknowledged: nothing comes back after the claim time.
    await new Promise((r) => setTimeout(r, 80));
    expect(await queue.read('w2', 10, 0)).toEqual([]);
    await wf.stop();
  });

  it('dead-letters what can never become a ticket, with its reason, and keeps the queue moving', async () => {
    const wf = await createWorkflow({ clock: new ManualClock(T0), instanceId: 'i1', tenants: ['acme'] });
    await wf.start();
    const queue = new MemoryWorkQueue({ claimAfterMs: 50 });
    const { log, warnings } = logSink();
    const c = new CallbackQueueConsumer({ queue, tickets: wf.callbackTickets, consumer: 'w1', log, waitMs: 20 });
    c.start();
    await queue.add('{not json');
    await queue.add(JSON.stringify({ ...request, priority: 'urgent' }));
    await queue.add(JSON.stringify({ ...request, tenant: 'nobody' }));
    await queue.add(JSON.stringify(request));
    await until(() => c.stats().created === 1);
    await c.stop();
    expect(c.stats()).toEqual({ created: 1, deadLettered: 3, failures: 0 });
    expect(warnings.map((w) => w.reason)).toEqual([
      'not JSON',
      expect.stringMatching(/^priority/),
      expect.stringMatching(/NO_MATCHING_FLOW/),
    ]);
    expect((await wf.engine.list('acme', { flowId: 'callback' })).items.map((t) => t.id)).toEqual(['cb-d-42']);
    await wf.stop();
  });

  it('leaves a request whose create failed for a moment unacknowledged, and creates it on redelivery', async () => {
    const created: string[] = [];
    let fail = true;
    const tickets: CallbackTickets = {
      async create(r) {
        if (fail) {
          fail = false;
          throw new Error('Redis away');
        }
        created.push(r.decisionId);
      },
    };
    const queue = new MemoryWorkQueue({ claimAfterMs: 30 });
    const { log } = logSink();
    const c = new CallbackQueueConsumer({ queue, tickets, consumer: 'w1', log, waitMs: 10 });
    c.start();
    await queue.add(JSON.stringify(request));
    await until(() => created.length === 1);
    await c.stop();
    expect(c.stats()).toEqual({ created: 1, deadLettered: 0, failures: 1 });
    await expect(handleCallbackRequest(JSON.stringify(request), tickets, log)).resolves.toBe('created');
  });
});

describe('callback ticket requests from a Kafka topic (in-memory bus)', () => {
  it('creates each ticket, retries a failed create, and commits every offset, invalid requests included', async () => {
    const bus = new MemoryBus();
    await bus.ensureTopics([{ topic: 'cb', partitions: 1 }]);
    const producer = await bus.producer();
    await producer.send('cb', [
      { key: 'd-42', value: JSON.stringify(request) },
      { key: 'x', value: '{not json' },
      { key: 'd-42', value: JSON.stringify(request) },
    ]);
    const created: string[] = [];
    let fail = true;
    const tickets: CallbackTickets = {
      async create(r) {
        if (fail) {
          fail = false;
          throw new Error('Redis away');
        }
        created.push(r.decisionId);
      },
    };
    const { log, warnings } = logSink();
    const consumer = bus.consumer({ groupId: 'g', topics: ['cb'] });
    await consumeCallbackTopic(consumer, tickets, log, undefined, 10);
    await until(async () => (await bus.committed('g', 'cb')).get(0) === 3);
    await consumer.stop();
    await bus.close();
    expect(created).toEqual(['d-42', 'd-42']);
    expect(warnings.map((w) => w.reason).filter(Boolean)).toEqual(['not JSON']);
  });
});
