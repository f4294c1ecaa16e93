import type { FastifyInstance } from 'fastify';
import { ROLES } from '../../core/access.js';

const TOKEN = {
  type: 'object',
  properties: {
    provider: { type: 'string' },
    issuer: { type: 'string' },
    subject: { type: 'string' },
    expiresAt: { type: 'integer', description: 'epoch ms' },
  },
} as const;

/**
 * `GET /v1/me`: who the credential is — the tenant, the role, the person and groups it acts as in the
 * workflow, its label, and how it signed in (`key`, `token` with the provider, subject and expiry, or
 * `open` in the demo). For UIs after a sign-in, and for operators checking a provider's claim mapping.
 */
export async function meRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    '/v1/me',
    {
      config: { access: { roles: ROLES, action: 'read who it is' } },
      schema: {
        summary: 'Who the credential is: tenant, role, person, groups, and how it signed in',
        response: {
          200: {
            type: 'object',
            required: ['tenant', 'role', 'groups', 'label', 'method', 'actor'],
            properties: {
              tenant: { type: 'string', description: '`*` for platform keys' },
              role: { type: 'string', enum: ROLES },
              user: { type: 'string', description: 'the person id (people directory, workflow actor); absent for a key without a user' },
              groups: { type: 'array', items: { type: 'string' } },
              label: { type: 'string', description: 'how the credential appears in logs and history: a key name, or provider:person' },
              method: { type: 'string', enum: ['key', 'token', 'open'] },
              actor: { type: 'string', description: 'the workflow actor: user:<person>, key:<label>, or system:key:<label>' },
              token: TOKEN,
            },
          },
        },
      },
    },
    async (req) => {
      const p = req.principal;
      const method = p.token ? 'token' : p.keyId === 'open-demo' ? 'open' : 'key';
      const actor = p.user !== undefined ? `user:${p.user}` : p.role === 'admin' ? `system:key:${p.keyId}` : `key:${p.keyId}`;
      return {
        tenant: p.tenant,
        role: p.role,
        ...(p.user !== undefined && { user: p.user }),
        groups: [...(p.groups ?? [])],
        label: p.keyId,
        method,
        actor,
        ...(p.token && { token: p.token }),
      };
    },
  );
}
