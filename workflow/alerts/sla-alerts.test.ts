import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, runFor } from '../../adapters/clock.js';
import type { Actor } from '../definition/permissions.js';
import type { MemoryHistory } from '../history/memory.js';
import { MemoryPeopleDirectory } from '../people/memory.js';
import { createWorkflow, type Workflow } from '../wire.js';
import { contactsOf, recordingChannel } from './testing/contacts.js';

const MIN = 60_000;
const TUESDAY_0900 = Date.parse('2026-01-06T09:00:00+01:00');
const ann: Actor = { id: 'ann', groups: ['billing-agents'] };

let wf: Workflow | undefined;
afterEach(async () => {
  await wf?.stop();
  wf = undefined;
});

describe('SLA warnings delivered through the outbox (fee-reduction, manager node: message, SMS, phone)', () => {
  it('sends level 1 to the manager on their preferred channel, level 2 by SMS, level 3 by phone; every attempt in the ticket history', async () => {
    const clock = new ManualClock(TUESDAY_0900);
    const people = new MemoryPeopleDirectory().add(
      'default',
      { id: 'ann', groups: ['billing-agents'] },
      { id: 'max', groups: ['billing-managers'] },
      { id: 'sue', groups: ['billing-supervisors'] },
      { id: 'hal', groups: ['department-heads'] },
    );
    const contacts = contactsOf(
      [
        {
          personId: 'max',
          name: 'Max',
          language: 'en',
          addresses: { wecom: 'MaxW', email: 'max@bank.example', sms: '+15550002', voice: '+15550002' },
          preferred: ['wecom', 'email'],
        },
        { personId: 'sue', name: '苏', language: 'zh-CN', addresses: { sms: '+8613800138000' } },
        { personId: 'hal', name: 'Hal', addresses: { voice: '+15550003' } },
      ],
      { 'billing-supervisors': ['sue'], 'department-heads': ['hal'] },
    );
    const ch = {
      wecom: recordingChannel('wecom'),
      sms: recordingChannel('sms'),
      voice: recordingChannel('voice'),
      log: recordingChannel('log'),
    };
    ch.sms.failNext(true); // the first SMS is refused for a while: retried with backoff
    wf = await createWorkflow({
      clock,
      instanceId: 'test',
      tenants: ['default'],
      people,
      alerts: { adapters: Object.values(ch), contacts, worker: { retryBaseMs: 30_000 } },
      timers: { pollIntervalMs: 1_000 },
    });
    await wf.start();
    const { ticket } = await wf.engine.createFromIvr({
      tenant: 'default',
      callId: 'c-1',
      intent: 'fee_reduction',
      fields: { amount: 2_000 },
    });
    await runFor(clock, 10 * MIN, 5_000);
    await wf.engine.act('default', ticket.id, { type: 'approve', actor: ann });
    const entered = clock.now();
    await runFor(clock, 80 * MIN, 5_000);

    const when = (at: number) => `@${Math.round((at - entered) / MIN)}m`;
    expect(ch.wecom.sent.map((s) => [s.delivery.recipient, s.alert.kind, s.alert.facts.level, when(s.alert.at)])).toEqual([
      ['max', 'sla-warning', 1, '@30m'],
    ]);
    expect(ch.sms.sent.map((s) => [s.delivery.recipient, s.delivery.address, s.message.language]).sort()).toEqual([
      ['max', '+15550002', 'en'],
      ['sue', '+8613800138000', 'zh-CN'],
    ]);
    expect(ch.voice.sent.map((s) => [s.delivery.recipient, s.alert.facts.repeat, s.message.speech])).toEqual([
      ['hal', 0, `Service level warning, level 3. Ticket ${ticket.id} has used 1h of its 1h at step manager.`],
      ['hal', 1, `Service level warning, level 3. Ticket ${ticket.id} has used 1h15m of its 1h at step manager.`],
    ]);
    // The breach goes to the log.
    expect(ch.log.sent.map((s) => s.alert.kind)).toEqual(['sla-breach']);

    const stored = await wf.engine.get('default', ticket.id);
    const alertEntries = stored.history.filter((e) => e.action.startsWith('alert.'));
    expect(alertEntries.map((e) => `${e.action} ${String(e.detail?.recipient)} ${String(e.detail?.channel)}`).sort()).toEqual(
      [
        'alert.retry max sms',
        'alert.sent hal voice',
        'alert.sent hal voice',
        'alert.sent max sms',
        'alert.sent max wecom',
        'alert.sent sue sms',
        'alert.sent ~log log',
      ].sort(),
    );
    expect(alertEntries.every((e) => e.actor === 'system:alerts')).toBe(true);
    const rows = (wf.history as MemoryHistory).alertDeliveries;
    expect(rows.filter((r) => r.result === 'sent')).toHaveLength(6);
    expect(rows.find((r) => r.result === 'retry')).toMatchObject({ channel: 'sms', error: 'sms scripted failure', attempt: 1 });
  });
});
