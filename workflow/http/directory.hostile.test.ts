import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { authHeader, testServer } from '../../test/support/server.js';
import { seedBilling } from '../people/directory.contract.js';
import type { Directory } from '../people/directory.js';
import { MemoryDirectory } from '../people/memory-directory.js';
import { directoryRoutes } from './directory.js';
import { scimRoutes } from './scim.js';

/**
 * The hostile twin of the directory's write paths (`/v1/people`, `/v1/groups`, `/v1/orgs`, SCIM):
 * a client of tenant `default` sends whatever it likes with any of its keys — near-valid persons
 * with one field broken, arbitrary JSON, odd ids, other tenants named in the body or the query,
 * SCIM PATCH operations of any shape. Whatever it sends: never a 5xx; every refusal names what is
 * wrong (a `field` for /v1 validation errors, a SCIM `detail`); tenant `globex` is untouched; and
 * the directory stays consistent (every group's members are exactly the persons listing it).
 */

let dir: MemoryDirectory;
let app: FastifyInstance;
let globexBefore: string;

async function snapshot(d: Directory, tenant: string): Promise<string> {
  const all = async <T>(list: (o: { cursor?: string; limit: number }) => Promise<{ items: readonly T[]; nextCursor?: string }>) => {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await list({ limit: 500, ...(cursor && { cursor }) });
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  };
  return JSON.stringify({
    persons: await all((o) => d.listPersons(tenant, o)),
    groups: await all((o) => d.listGroups(tenant, o)),
    orgs: await all((o) => d.listOrgs(tenant, o)),
  });
}

beforeAll(async () => {
  dir = new MemoryDirectory();
  await seedBilling(dir, 'default');
  await seedBilling(dir, 'globex');
  app = await testServer(async (a) => {
    await a.register(async (scope) => {
      await directoryRoutes(scope, { directory: dir });
      await scope.register(scimRoutes, { directory: dir });
    });
  });
  globexBefore = await snapshot(dir, 'globex');
});

afterAll(async () => {
  await app.close();
});

const KEYS = ['default:admin', 'default:agent', 'default:viewer', 'default:router'];
const IDS = ['ann', 'bob', 'cid', 'max', 'mia', 'dora', 'zed', 'billing', 'billing-team-a', 'billing-agents', 'department-heads'];
const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom(1e300, -1, 2 ** 53, '\u0000', 'a\u0000b', '\ud800', 'x'.repeat(300), 'a:b', 'creator', '+1', 'ftp://x', ''),
);
const sometimes = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: odd, weight: 1 });
const id = fc.oneof(
  { arbitrary: fc.constantFrom(...IDS), weight: 5 },
  { arbitrary: fc.stringMatching(/^[A-Za-z0-9._@-]{1,110}$/).filter((s) => s !== '.' && s !== '..'), weight: 1 },
);
const person = fc.record(
  {
    id: sometimes(id),
    name: sometimes(fc.string({ maxLength: 20 })),
    email: sometimes(fc.constantFrom('a@b.test', 'no-at')),
    phone: sometimes(fc.constantFrom('+4930123456', '030 123')),
    wecom: sometimes(fc.constantFrom('w.1', 'bad id!')),
    webhook: sometimes(fc.constantFrom('https://hooks.test/x', 'javascript:alert(1)')),
    language: sometimes(fc.constantFrom('en', 'zh-CN', 'english!')),
    preferred: sometimes(fc.subarray(['email', 'sms', 'voice', 'wecom', 'webhook', 'fax'])),
    groups: sometimes(fc.array(id, { maxLength: 4 })),
    organisation: sometimes(id),
    manager: sometimes(id),
    skills: sometimes(fc.array(fc.string({ maxLength: 8 }), { maxLength: 3 })),
    attributes: sometimes(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }), { maxKeys: 3 })),
    capacity: sometimes(fc.integer({ min: -2, max: 20_000 })),
    active: sometimes(fc.boolean()),
    tenant: fc.constantFrom(undefined, 'globex'),
  },
  { requiredKeys: [] },
);
const org = fc.record(
  { id: sometimes(id), name: sometimes(fc.string()), parent: sometimes(id), head: sometimes(id) },
  { requiredKeys: [] },
);
const group = fc.record({ id: sometimes(id), name: sometimes(fc.string()), externalId: sometimes(fc.string()) }, { requiredKeys: [] });
const scimUser = fc.record(
  {
    userName: sometimes(id),
    displayName: sometimes(fc.string()),
    active: sometimes(fc.constantFrom(true, false, 'False', 'maybe')),
    emails: sometimes(fc.constant([{ value: 'x@y.test', primary: true }])),
    phoneNumbers: sometimes(fc.constantFrom([{ value: '+1 (555) 010-9999', type: 'work' }], [{ value: 'nope' }])),
    'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': sometimes(
      fc.record({ department: sometimes(fc.constantFrom('Billing', 'Ops & Co', '!!!')), manager: sometimes(fc.record({ value: id })) }),
    ),
  },
  { requiredKeys: [] },
);
const patch = fc.record({
  Operations: sometimes(
    fc.array(
      fc.record(
        {
          op: sometimes(fc.constantFrom('add', 'Replace', 'remove')),
          path: sometimes(fc.constantFrom('active', 'members', 'displayName', 'members[value eq "ann"]', 'groups', 'title', 'emails')),
          value: sometimes(fc.oneof(fc.constantFrom('False', true), fc.array(fc.record({ value: id }), { maxLength: 3 }))),
        },
        { requiredKeys: [] },
      ),
      { maxLength: 4 },
    ),
  ),
});

type Req = { method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'; url: string; body?: unknown; scim: boolean };
const request: fc.Arbitrary<Req> = fc.oneof(
  fc.record({ method: fc.constant('POST' as const), url: fc.constant('/v1/people'), body: sometimes(person), scim: fc.constant(false) }),
  fc.record({
    method: fc.constant('PUT' as const),
    url: id.map((i) => `/v1/people/${encodeURIComponent(i)}`),
    body: sometimes(person),
    scim: fc.constant(false),
  }),
  fc.record({
    method: fc.constant('DELETE' as const),
    url: id.map((i) => `/v1/people/${encodeURIComponent(i)}`),
    scim: fc.constant(false),
  }),
  fc.record({ method: fc.constantFrom('POST' as const), url: fc.constant('/v1/orgs'), body: sometimes(org), scim: fc.constant(false) }),
  fc.record({
    method: fc.constant('PUT' as const),
    url: id.map((i) => `/v1/orgs/${encodeURIComponent(i)}`),
    body: sometimes(org),
    scim: fc.constant(false),
  }),
  fc.record({ method: fc.constant('DELETE' as const), url: id.map((i) => `/v1/orgs/${encodeURIComponent(i)}`), scim: fc.constant(false) }),
  fc.record({ method: fc.constant('POST' as const), url: fc.constant('/v1/groups'), body: sometimes(group), scim: fc.constant(false) }),
  fc.record({
    method: fc.constant('DELETE' as const),
    url: id.map((i) => `/v1/groups/${encodeURIComponent(i)}`),
    scim: fc.constant(false),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: id.map((i) => `/v1/groups/${encodeURIComponent(i)}/members`),
    body: sometimes(
      fc.record(
        { add: sometimes(fc.array(id, { maxLength: 3 })), remove: sometimes(fc.array(id, { maxLength: 3 })) },
        { requiredKeys: [] },
      ),
    ),
    scim: fc.constant(false),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/scim/v2/Users'),
    body: sometimes(scimUser),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('PUT' as const),
    url: id.map((i) => `/scim/v2/Users/${encodeURIComponent(i)}`),
    body: sometimes(scimUser),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('PATCH' as const),
    url: id.map((i) => `/scim/v2/Users/${encodeURIComponent(i)}`),
    body: sometimes(patch),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('PATCH' as const),
    url: id.map((i) => `/scim/v2/Groups/${encodeURIComponent(i)}`),
    body: sometimes(patch),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('POST' as const),
    url: fc.constant('/scim/v2/Groups'),
    body: sometimes(
      fc.record({ displayName: sometimes(fc.string()), members: sometimes(fc.array(fc.record({ value: id }), { maxLength: 3 })) }),
    ),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('DELETE' as const),
    url: id.map((i) => `/scim/v2/${i.length % 2 ? 'Users' : 'Groups'}/${encodeURIComponent(i)}`),
    scim: fc.constant(true),
  }),
  fc.record({
    method: fc.constant('GET' as const),
    url: fc.string({ maxLength: 30 }).map((f) => `/scim/v2/Users?filter=${encodeURIComponent(f)}`),
    scim: fc.constant(true),
  }),
);

// Only the admin key may write, and naming another tenant is refused: both are drawn often enough
// to be tried, and rarely enough that many writes get as far as validation and the directory.
const key = fc.oneof({ weight: 3, arbitrary: fc.constant(KEYS[0] as string) }, { weight: 1, arbitrary: fc.constantFrom(...KEYS.slice(1)) });
const platformQuery = fc.nat(3).map((n) => n === 0);

it('never fails on hostile directory writes, names every refusal, and never touches another tenant', async () => {
  const statuses = new Map<number, number>();
  await fc.assert(
    fc.asyncProperty(request, key, platformQuery, async (req, key, platformQuery) => {
      const url = platformQuery ? `${req.url}${req.url.includes('?') ? '&' : '?'}tenant=globex` : req.url;
      const res = await app.inject({
        method: req.method,
        url,
        headers: {
          ...authHeader(app, key),
          ...(req.body !== undefined && { 'content-type': req.scim ? 'application/scim+json' : 'application/json' }),
        },
        ...(req.body !== undefined && { payload: JSON.stringify(req.body) ?? 'null' }),
      });
      expect(res.statusCode, `${req.method} ${url} ${res.body}`).toBeLessThan(500);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 400) {
        const body = JSON.parse(res.body) as Record<string, unknown>;
        if (req.scim) {
          expect(body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: String(res.statusCode) });
          expect(String(body.detail).length).toBeGreaterThan(5);
        } else {
          const error = body.error as { code: string; message: string; field?: string };
          expect(error.code).toMatch(/^SLUICE_ERR_/);
          expect(error.message.length).toBeGreaterThan(5);
          if (error.code === 'SLUICE_ERR_VALIDATION') expect(error.field, error.message).toBeTruthy();
        }
      }
    }),
    { numRuns: 400 },
  );
  // The property saw writes accepted as well as refused (else it would prove little).
  const seen = JSON.stringify([...statuses]);
  const accepted = [...statuses].filter(([s]) => s < 300).reduce((sum, [, n]) => sum + n, 0);
  expect(accepted, seen).toBeGreaterThanOrEqual(5); // about 18 of 400 are accepted: 5 is more than three deviations below
  expect([...statuses.keys()].filter((s) => s >= 400).length, seen).toBeGreaterThanOrEqual(3);
  expect(await snapshot(dir, 'globex')).toBe(globexBefore);
  // Consistency: each group's members are exactly the persons that list it.
  const persons = JSON.parse(await snapshot(dir, 'default')) as {
    persons: { id: string; groups?: string[] }[];
    groups: { id: string }[];
  };
  for (const g of persons.groups) {
    const members = (await dir.listPersons('default', { group: g.id, limit: 500 })).items.map((p) => p.id);
    expect(members).toEqual(persons.persons.filter((p) => p.groups?.includes(g.id)).map((p) => p.id));
  }
});
