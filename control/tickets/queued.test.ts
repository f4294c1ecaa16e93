import { describe, expect, it } from 'vitest';
import { QueuedCallbackTickets } from './queued.js';

const req = { tenant: 'acme', callId: 'c-1', skillGroup: 'care', priority: 'low', reason: 'L3', decisionId: 'd-1' } as const;

describe('callback tickets over a durable queue', () => {
  it('writes the request keyed by decision id and resolves once the queue accepted it', async () => {
    const sent: [string, string][] = [];
    await new QueuedCallbackTickets(async (k, b) => void sent.push([k, b])).create(req);
    expect(sent).toEqual([['d-1', JSON.stringify(req)]]);
  });

  it('rejects when the queue refused, so the dispatcher retries', async () => {
    const t = new QueuedCallbackTickets(async () => {
      throw new Error('Redis unreachable');
    });
    await expect(t.create(req)).rejects.toThrow('Redis unreachable');
  });
});
