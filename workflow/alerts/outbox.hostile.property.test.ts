/**
 * The outbox's write path with hostile alerts (what a buggy raiser or a tampered store entry could hand it):
 * refused with `SLUICE_ERR_ALERT_INVALID` naming the field, or stored and then delivered to the log without the
 * worker failing; another tenant's alert is delivered all the same.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../adapters/clock.js';
import { isSluiceError } from '../../core/errors.js';
import { MemoryAlertOutbox } from './memory-outbox.js';
import { sampleAlert } from './outbox.contract.js';
import { contactsOf, recordingChannel } from './testing/contacts.js';
import { DeliveryWorker } from './worker.js';

const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('sg\ud800x', '\u0000', 'a'.repeat(3_000), '../other', 'user:', 'group:*', '\u202e', ''),
);
const wild = fc.oneof(nasty, fc.double(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
const hostileAlert = fc.record(
  {
    id: fc.oneof(nasty, wild),
    tenant: fc.oneof(fc.constantFrom('evil', 'acme'), nasty),
    kind: fc.oneof(fc.constantFrom('sla-warning', 'centre-level', 'notify'), nasty),
    channel: fc.oneof(fc.constantFrom('message', 'sms', 'log', 'wecom'), nasty),
    recipients: fc.oneof(fc.array(fc.oneof(nasty, fc.constantFrom('user:ann', 'group:sup')), { maxLength: 80 }), wild),
    facts: fc.oneof(fc.dictionary(nasty, wild, { maxKeys: 40 }), wild),
    language: fc.oneof(fc.constantFrom('zh-CN', 'en', 'xx-YY'), nasty),
    ticketId: fc.oneof(nasty, wild),
    at: fc.oneof(fc.integer({ min: 0, max: 2 ** 40 }), wild),
  },
  { requiredKeys: ['id', 'tenant', 'kind', 'channel', 'recipients', 'facts', 'at'] },
);

describe('hostile alerts into the outbox', () => {
  it('refuses naming the field or delivers; never throws anything else, and another tenant is delivered', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileAlert, { minLength: 1, maxLength: 8 }), async (alerts) => {
        const clock = new ManualClock(2 ** 41);
        const outbox = new MemoryAlertOutbox();
        const log = recordingChannel('log');
        const email = recordingChannel('email');
        const worker = new DeliveryWorker({
          outbox,
          clock,
          channels: [log, email],
          contacts: contactsOf([{ personId: 'ann', addresses: { email: 'ann@e' } }], { sup: ['ann'] }),
        });
        const errors: unknown[] = [];
        worker.on('error', (e) => errors.push(e));
        let stored = 0;
        for (const a of alerts) {
          try {
            if (await outbox.raise(a as never)) stored++;
          } catch (err) {
            expect(isSluiceError(err, 'SLUICE_ERR_ALERT_INVALID'), String(err)).toBe(true);
            expect((err as Error).message).toMatch(/^alert refused: \w+/);
          }
        }
        await outbox.raise(sampleAlert({ id: 'sentinel', tenant: 'globex', channel: 'email', recipients: ['user:ann'], at: clock.now() }));
        for (let i = 0; i < 4; i++) await worker.tick();
        expect(errors).toEqual([]);
        expect(email.sent.some((s) => s.alert.tenant === 'globex' && s.alert.id === 'sentinel')).toBe(true);
        // Everything stored went somewhere: a person, or the log as the fallback.
        const tenantsReached = new Set([...log.sent, ...email.sent].map((s) => `${s.alert.tenant}\0${s.alert.id}`));
        expect(tenantsReached.size).toBe(stored + 1);
      }),
      { numRuns: 150 },
    );
  });
});
