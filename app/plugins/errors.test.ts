import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scopeTenant } from '../../core/access.js';
import { controlError } from '../../control/errors.js';
import { operatorError } from '../../operators/errors.js';
import { pipelinesError } from '../../pipelines/errors.js';
import { workflowError } from '../../workflow/errors.js';
import { errorsPlugin } from './errors.js';

const THROWN: Record<string, () => unknown> = {
  pipelines: () => pipelinesError('SLUICE_ERR_INGEST_BACKLOG', ['10', '5', '2'], { details: { retryAfterSeconds: 2 } }),
  control: () => controlError('SLUICE_ERR_POLICY_VERSION_CONFLICT', 'tenant acme is at version 3'),
  workflow: () =>
    workflowError('SLUICE_ERR_VALIDATION', 'body.flowId is required unless body.intent is given', { details: { field: 'body.flowId' } }),
  scope: () => scopeTenant({ tenant: 'acme', role: 'viewer', keyId: 'k' }, 'globex'),
  operator: () => operatorError('SLUICE_ERR_EVENT_TIME', 'event ts must be a finite epoch-ms number (got soon)'),
  plain: () => new Error('secret detail'),
};

const app = Fastify({ logger: false });

beforeAll(async () => {
  await app.register(errorsPlugin);
  for (const [room, make] of Object.entries(THROWN)) {
    app.get(`/${room}`, async () => {
      const e = make();
      throw e;
    });
  }
  await app.ready();
});
afterAll(() => app.close());

async function answer(room: string): Promise<{ status: number; body: unknown }> {
  const res = await app.inject({ method: 'GET', url: `/${room}` });
  return { status: res.statusCode, body: res.json() };
}

describe('errors plugin: one error body for the errors of every room', () => {
  it("answers each room's error with its status and {error: {code, message, retriable, ...details}}", async () => {
    expect(await answer('pipelines')).toEqual({
      status: 503,
      body: {
        error: {
          code: 'SLUICE_ERR_INGEST_BACKLOG',
          message: '10 events accepted are not yet stored, at most 5 may wait: nothing of this request was accepted; retry after 2 s',
          retriable: true,
          retryAfterSeconds: 2,
        },
      },
    });
    expect(await answer('control')).toEqual({
      status: 409,
      body: {
        error: {
          code: 'SLUICE_ERR_POLICY_VERSION_CONFLICT',
          message: 'policy version conflict: tenant acme is at version 3',
          retriable: true,
        },
      },
    });
    expect(await answer('workflow')).toEqual({
      status: 400,
      body: {
        error: {
          code: 'SLUICE_ERR_VALIDATION',
          message: 'body.flowId is required unless body.intent is given',
          retriable: false,
          field: 'body.flowId',
        },
      },
    });
    expect(await answer('scope')).toEqual({
      status: 404,
      body: { error: { code: 'SLUICE_ERR_NOT_FOUND', message: 'tenant globex not found', retriable: false } },
    });
  });

  it("answers an error that has no HTTP status (a stream operator's) or no code as internal, without its message", async () => {
    for (const room of ['operator', 'plain']) {
      const { status, body } = await answer(room);
      expect(status, room).toBe(500);
      expect(body, room).toMatchObject({ error: { code: 'SLUICE_ERR_INTERNAL', retriable: true } });
      expect(JSON.stringify(body), room).not.toMatch(/finite epoch-ms|secret/);
    }
  });
});
