import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pino } from 'pino';
import { KafkaBus } from '../../adapters/bus/kafka.js';
import { RedisStreamQueue } from '../../adapters/queue/redis.js';
import { CALLBACK_GROUP, callbackQueueName } from '../../app/callback-queue.js';
import { loadConfig } from '../../app/config.js';
import { startSluice, type Sluice } from '../../app/main.js';

const ROUTER = 'cbq-acme-router-key-00001';
const ADMIN = 'cbq-acme-admin-key-000001';

/** Writes raw requests to the queue the way a control instance does (for redelivery and invalid input). */
type Writer = { write(bodies: string[]): Promise<void> };
const transports = [
  {
    name: 'Redis stream',
    env: () => ({ REDIS_URL: inject('redisUrl') }),
    writer: async (queueName: string): Promise<Writer> => {
      const q = new RedisStreamQueue({ url: inject('redisUrl'), stream: queueName, group: CALLBACK_GROUP });
      return {
        async write(bodies) {
          for (const b of bodies) await q.add(b);
          await q.close();
        },
      };
    },
  },
  {
    name: 'Kafka topic',
    env: () => ({ KAFKA_BROKERS: inject('kafkaBrokers') }),
    writer: async (queueName: string): Promise<Writer> => {
      const bus = new KafkaBus({ brokers: [inject('kafkaBrokers')] });
      const producer = await bus.producer();
      return {
        async write(bodies) {
          for (const b of bodies) await producer.send(queueName, [{ key: 'k', value: b }]);
          await producer.close();
          await bus.close();
        },
      };
    },
  },
] as const;

async function until<T>(probe: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Control and workflow as deployed apart (two instances, in one test process) sharing a real redis-server:
// the callback tickets control decides travel through the Redis stream into the workflow instance, once each.
describe.each(transports)('callback tickets between a control instance and a workflow instance ($name)', (transport) => {
  const PREFIX = `cbq${process.pid}${transport.name[0]}.`;
  const running: Sluice[] = [];
  let control: Sluice;
  let workflow: Sluice;
  const start = async (role: 'control' | 'workflow') => {
    const config = loadConfig({
      SLUICE_API_KEYS: `${ROUTER}:acme:router,${ADMIN}:acme:admin`,
      SLUICE_TENANTS: 'acme',
      // Routing here is about callbacks, not skill-group names (control.app.test.ts checks the refusal).
      SLUICE_CONTROL_UNKNOWN_SKILL_GROUPS: 'tenant-level',
      SLUICE_ROLE: role,
      ...transport.env(),
      // Control alone with Redis must share a secret for its decision ids (issue 16, outcomes on any instance).
      SLUICE_DECISION_KEY: 'callbacks-roles-test-decision-key-0123456789',
      KAFKA_TOPIC_PREFIX: PREFIX,
      CHDB_PATH: ':memory:',
      CLICKHOUSE_DATABASE: `cbq_${role}_${transport.name[0]}_${process.pid}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
    });
    const s = await startSluice(config, { logger: pino({ level: 'warn' }), httpLogger: false });
    running.push(s);
    return s;
  };
  const tickets = async () => {
    const r = await workflow.app.inject({ url: '/v1/tickets?flowId=callback', headers: { 'x-api-key': ADMIN } });
    expect(r.statusCode, r.body).toBe(200);
    return r.json().items as { id: string; fields: Record<string, unknown>; origin: Record<string, unknown> }[];
  };

  beforeAll(async () => {
    control = await start('control');
    workflow = await start('workflow');
  });
  afterAll(async () => {
    for (const s of running) await s.close();
  });

  it('a caller control diverts at L3 gets exactly one callback ticket on the workflow instance, with the call context', async () => {
    const pin = await control.app.inject({
      method: 'POST',
      url: '/v1/control/overrides',
      headers: { 'x-api-key': ADMIN },
      payload: { skillGroup: 'care', level: 3, forMs: 60_000, reason: 'test' },
    });
    expect(pin.statusCode, pin.body).toBe(201);
    const routed = await control.app.inject({
      method: 'POST',
      url: '/v1/route',
      headers: { 'x-api-key': ROUTER },
      payload: {
        tenant: 'acme',
        callId: 'c-77',
        skillGroup: 'care',
        priority: 'low',
        intent: 'fee_dispute',
        ivrTrajectory: ['main', 'billing', 'fee-dispute'],
      },
    });
    expect(routed.statusCode, routed.body).toBe(200);
    const { decisionId, level } = routed.json();
    expect(level).toBe(3);
    const found = await until(async () => (await tickets()).find((t) => t.fields.decisionId === decisionId));
    // The intent and IVR path of the route request crossed the queue with the ticket.
    const context = { intent: 'fee_dispute', ivrTrajectory: ['main', 'billing', 'fee-dispute'] };
    expect(found.fields).toMatchObject({ callId: 'c-77', skillGroup: 'care', priority: 'low', ...context });
    expect(found.origin).toEqual({
      kind: 'control',
      callId: 'c-77',
      channel: 'callback',
      skillGroup: 'care',
      intent: 'fee_dispute',
      trajectory: ['main', 'billing', 'fee-dispute'],
    });
    // The workflow instance answers once per decision: still one ticket after a while.
    await new Promise((r) => setTimeout(r, 300));
    expect((await tickets()).filter((t) => t.fields.decisionId === decisionId)).toHaveLength(1);
  });

  it('a request delivered twice makes one ticket, and an invalid one is set aside without blocking the queue', async () => {
    const name = callbackQueueName(loadConfig({ SLUICE_OPEN: 'true', KAFKA_TOPIC_PREFIX: PREFIX }));
    const request = { tenant: 'acme', callId: 'c-88', skillGroup: 'care', priority: 'normal', reason: 'L3', decisionId: 'redelivered-1' };
    await (await transport.writer(name)).write([
      JSON.stringify(request),
      JSON.stringify({ ...request, priority: 'urgent', decisionId: 'invalid-1' }),
      '{not json',
      JSON.stringify(request),
      JSON.stringify({ ...request, decisionId: 'after-invalid-1' }),
    ]);
    await until(async () => ((await tickets()).some((t) => t.fields.decisionId === 'after-invalid-1') ? true : undefined));
    const all = await tickets();
    expect(all.filter((t) => t.fields.decisionId === 'redelivered-1')).toHaveLength(1);
    expect(all.some((t) => t.fields.decisionId === 'invalid-1')).toBe(false);
  });
});
