import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryBus } from '../adapters/bus/memory.js';
import { ManualClock } from '../adapters/clock.js';
import { harness } from '../control/testing/harness.js';
import { storeDeadLetters } from '../pipelines/dead-letters.js';
import { EventPublisher } from '../pipelines/publisher.js';
import { RealtimeState } from '../pipelines/realtime/state.js';
import { MemoryTelemetryStore } from '../pipelines/store/memory.js';
import { minuteRow } from '../pipelines/testing/rows.js';
import { MemoryHistory } from '../workflow/history/memory.js';
import { createWorkflow, type Workflow } from '../workflow/wire.js';
import { PROCESS_ROLES, parseApiKeys, type ProcessRole } from './config.js';
import { Metrics } from './metrics.js';
import { ROUTE_GROUPS, servesIngest, servesReports } from './process-roles.js';
import { buildServer } from './server.js';

const NOW = Date.UTC(2026, 10, 23, 9, 30);
const ADMIN = 'acme-admin-key-0000000001';
const auth = { authorization: `Bearer ${ADMIN}` };
const range = `from=${NOW - 3_600_000}&to=${NOW}`;

/** One request per route group, as a client would send it to any instance. */
const PROBES = {
  reporting: [
    { method: 'GET', url: `/v1/reports/minutes?${range}` },
    { method: 'GET', url: `/v1/reports/intervals?${range}` },
    { method: 'GET', url: `/v1/reports/reconciliation?${range}` },
    { method: 'GET', url: `/v1/reports/sla?${range}&by=flow` },
  ],
  control: [
    { method: 'POST', url: '/v1/route', payload: { tenant: 'acme', callId: 'c1', skillGroup: 'care', priority: 'normal' } },
    { method: 'GET', url: '/v1/control/state' },
  ],
  workflow: [
    { method: 'GET', url: '/v1/flows' },
    { method: 'GET', url: '/v1/tickets' },
    { method: 'GET', url: '/v1/todos?assignee=ann' },
  ],
} as const;

/** The groups each role serves (the README's table). */
const SERVES: Record<ProcessRole, readonly string[]> = {
  all: ['reporting', 'control', 'workflow'],
  pipeline: [],
  control: ['control'],
  workflow: ['workflow'],
  reporting: ['reporting'],
};

describe('routes per process role', () => {
  const clock = new ManualClock(NOW);
  const control = harness({ clock, tenants: ['acme'], unknownSkillGroups: 'tenant-level' });
  let workflow: Workflow;
  const apps = new Map<ProcessRole, FastifyInstance>();

  /** The server as `app/main.ts` builds it for a role: each room's routes when the role runs it. */
  async function serverFor(role: ProcessRole): Promise<FastifyInstance> {
    const bus = new MemoryBus();
    await bus.ensureTopics(['agent', 'extension', 'skillgroup', 'interval'].map((s) => ({ topic: `sluice.${s}`, partitions: 1 })));
    const store = new MemoryTelemetryStore();
    await store.upsertMinutes([minuteRow({ tenant: 'acme', skillGroup: 'care', windowStart: NOW - 60_000, offered: 3 })], 'm');
    return buildServer({
      config: { apiKeys: parseApiKeys(`${ADMIN}:acme:admin`), open: false, bodyLimitBytes: 65_536, logLevel: 'silent' },
      clock,
      metrics: new Metrics(),
      realtime: new RealtimeState(),
      pipelines: { store, publisher: new EventPublisher(await bus.producer()), deadLetters: storeDeadLetters(store) },
      checks: new Map(),
      role,
      // The in-process bus: only a process with its own worker takes events (`servesIngest`).
      ingest: servesIngest(role, false),
      ...(role === 'all' || role === 'control' ? { control: { service: control.svc, clock } } : {}),
      ...(role === 'all' || role === 'workflow' ? { workflow: workflow.routes } : {}),
      ...(role === 'reporting' ? { slaReports: { history: new MemoryHistory() } } : {}),
      state: () => 'running',
      logger: false,
    });
  }

  beforeAll(async () => {
    await control.svc.start();
    workflow = await createWorkflow({ clock, instanceId: 'roles-test', tenants: ['acme'] });
    await workflow.start();
    for (const role of PROCESS_ROLES) apps.set(role, await serverFor(role));
  });
  afterAll(async () => {
    for (const app of apps.values()) await app.close();
    await workflow.stop();
    await control.svc.stop();
  });

  it('reports are served by all and reporting only; ingest by all and pipeline, or by any role with Kafka', () => {
    expect(PROCESS_ROLES.filter(servesReports)).toEqual(['all', 'reporting']);
    expect(PROCESS_ROLES.filter((r) => servesIngest(r, false))).toEqual(['all', 'pipeline']);
    expect(PROCESS_ROLES.filter((r) => servesIngest(r, true))).toEqual([...PROCESS_ROLES]);
  });

  for (const role of PROCESS_ROLES) {
    it(`${role}: serves its groups, and answers the others' routes 404 SLUICE_ERR_ROLE_ROUTE naming the role that serves them`, async () => {
      const app = apps.get(role) as FastifyInstance;
      for (const group of ROUTE_GROUPS) {
        for (const probe of PROBES[group.role]) {
          const r = await app.inject({ ...probe, headers: auth });
          const what = `${role}: ${probe.method} ${probe.url}`;
          if (SERVES[role].includes(group.role)) {
            expect(r.statusCode, `${what} → ${r.body}`).toBeLessThan(300);
          } else {
            expect(r.statusCode, what).toBe(404);
            expect(r.json().error, what).toEqual({
              code: 'SLUICE_ERR_ROLE_ROUTE',
              message: `${probe.method} ${probe.url.split('?')[0]} is served by instances of the ${group.role} role (or all); this instance runs the ${role} role`,
              retriable: false,
              servedBy: group.role,
              role,
            });
          }
        }
      }
      // The answer names roles, not data, but still needs a key; an unknown path stays a plain 404.
      expect((await app.inject({ url: `/v1/reports/minutes?${range}` })).statusCode).toBe(401);
      expect((await app.inject({ url: '/v1/nope', headers: auth })).json().error.code).toBe('SLUICE_ERR_NOT_FOUND');
      // Every role serves the real-time reads.
      expect((await app.inject({ url: '/v1/realtime/skillgroups', headers: auth })).statusCode).toBe(200);
      // Ingest only where a worker gets the events: on the in-process bus, all and pipeline; elsewhere a 404 that
      // names the pipeline role instead of accepting events nobody would store (with Kafka every role takes them).
      const event = {
        v: 1,
        tenant: 'acme',
        source: 'skillgroup',
        id: `e-${role}`,
        ts: NOW,
        body: { skillGroup: 'care', callId: 'c', type: 'OFFERED' },
      };
      const ingest = await app.inject({ method: 'POST', url: '/v1/events', payload: { events: [event] }, headers: auth });
      if (role === 'all' || role === 'pipeline') {
        expect(ingest.statusCode, ingest.body).toBe(202);
      } else {
        expect(ingest.statusCode, role).toBe(404);
        expect(ingest.json().error).toMatchObject({ code: 'SLUICE_ERR_ROLE_ROUTE', servedBy: 'pipeline', role });
      }
      // The API description lists what this instance serves, and nothing of the other roles.
      const paths = Object.keys((await app.inject({ url: '/openapi.json', headers: auth })).json().paths);
      expect(
        paths.some((p) => p.startsWith('/v1/reports/')),
        role,
      ).toBe(servesReports(role));
      expect(paths.includes('/v1/route'), role).toBe(SERVES[role].includes('control'));
    });
  }

  it('a reporting instance answers the reports from the store', async () => {
    const r = await (apps.get('reporting') as FastifyInstance).inject({ url: `/v1/reports/minutes?${range}`, headers: auth });
    expect(r.json().rows).toEqual([expect.objectContaining({ tenant: 'acme', skillGroup: 'care', offered: 3 })]);
  });
});
