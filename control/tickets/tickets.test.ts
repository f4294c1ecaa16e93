import { describe, expect, it } from 'vitest';
import { ManualClock, settle } from '../../adapters/clock.js';
import { InMemoryCallbackTickets, TicketDispatcher } from './tickets.js';
import type { CallbackTicketRequest, CallbackTickets } from '../../core/messages.js';

const ticket = (i: number): CallbackTicketRequest => ({
  tenant: 'acme',
  callId: `c${i}`,
  skillGroup: 'care',
  priority: 'low',
  reason: 'L3',
  decisionId: `d${i}`,
});

describe('TicketDispatcher', () => {
  it('sends off the hot path, retries failures with growing delays, and counts them', async () => {
    const clock = new ManualClock(0);
    const store = new InMemoryCallbackTickets();
    let fail = 2;
    const port: CallbackTickets = { create: (t) => (fail-- > 0 ? Promise.reject(new Error('workflow down')) : store.create(t)) };
    const d = new TicketDispatcher({ port, clock, retryBaseMs: 100 });
    d.enqueue(ticket(1));
    expect(store.list()).toEqual([]);
    clock.advance(0);
    await settle();
    expect(d.stats()).toMatchObject({ failures: 1, retries: 1, created: 0 });
    clock.advance(100);
    await settle();
    clock.advance(0);
    await settle();
    expect(d.stats()).toMatchObject({ failures: 2, retries: 2 });
    clock.advance(200);
    await settle();
    clock.advance(0);
    await settle();
    expect(store.list()).toEqual([ticket(1)]);
    expect(d.stats()).toMatchObject({ created: 1, failures: 2, queued: 0, inflight: 0 });
  });

  it('bounds the queue (oldest dropped) and gives a ticket up after maxAttempts', async () => {
    const clock = new ManualClock(0);
    const port: CallbackTickets = { create: () => Promise.reject(new Error('no')) };
    const d = new TicketDispatcher({ port, clock, capacity: 3, maxAttempts: 1, concurrency: 1 });
    for (let i = 0; i < 5; i++) d.enqueue(ticket(i));
    expect(d.stats()).toMatchObject({ queued: 3, dropped: 2 });
    for (let i = 0; i < 5; i++) {
      clock.advance(0);
      await settle();
    }
    expect(d.stats()).toMatchObject({ queued: 0, abandoned: 3, retries: 0 });
  });

  it('holds tickets while the notifier breaker is open', async () => {
    const clock = new ManualClock(0);
    const store = new InMemoryCallbackTickets();
    let open = true;
    const d = new TicketDispatcher({
      port: store,
      clock,
      retryBaseMs: 1_000,
      guard: () => ({ tryAcquire: () => (open ? null : {}), onSuccess: () => {}, onFailure: () => {} }),
    });
    d.enqueue(ticket(1));
    clock.advance(0);
    await settle();
    expect(d.stats().queued).toBe(1);
    open = false;
    clock.advance(1_000);
    await settle();
    expect(store.list()).toHaveLength(1);
  });

  it('times out a create that never answers', async () => {
    const clock = new ManualClock(0);
    const d = new TicketDispatcher({ port: { create: () => new Promise(() => {}) }, clock, timeoutMs: 50, maxAttempts: 1 });
    d.enqueue(ticket(1));
    clock.advance(0);
    clock.advance(50);
    await settle();
    expect(d.stats()).toMatchObject({ failures: 1, abandoned: 1, inflight: 0 });
  });
});
