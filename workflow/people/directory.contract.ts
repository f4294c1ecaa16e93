import { describe, expect, it } from 'vitest';
import type { Directory, DirectoryChange } from './directory.js';
import { DIRECTORY_LIMITS as L } from './limits.js';

/**
 * The billing organisation the contract (and the demo) uses:
 *
 *     billing (head dora)
 *     ├── billing-team-a (head max): ann, bob
 *     └── billing-team-b (head mia): cid (explicit manager: dora)
 */
export async function seedBilling(dir: Directory, tenant = 'acme'): Promise<void> {
  for (const g of ['billing-agents', 'billing-managers', 'department-heads']) await dir.putGroup(tenant, { id: g }, 'create');
  await dir.putPerson(
    tenant,
    { id: 'dora', name: 'Dora Head', email: 'dora@acme.test', phone: '+4930100001', groups: ['department-heads'] },
    'create',
  );
  await dir.putOrg(tenant, { id: 'billing', name: 'Billing', head: 'dora' }, 'create');
  await dir.putPerson(tenant, { id: 'max', name: 'Max', groups: ['billing-managers'], organisation: 'billing', language: 'de' }, 'create');
  await dir.putPerson(tenant, { id: 'mia', name: 'Mia', groups: ['billing-managers'], organisation: 'billing', active: false }, 'create');
  await dir.putOrg(tenant, { id: 'billing-team-a', parent: 'billing', head: 'max' }, 'create');
  await dir.putOrg(tenant, { id: 'billing-team-b', parent: 'billing', head: 'mia' }, 'create');
  await dir.putPerson(
    tenant,
    {
      id: 'ann',
      email: 'ann@acme.test',
      phone: '+4930100002',
      wecom: 'ann.w',
      preferred: ['wecom', 'email'],
      groups: ['billing-agents'],
      organisation: 'billing-team-a',
      skills: ['billing', 'de'],
      attributes: { site: 'berlin' },
      capacity: 5,
    },
    'create',
  );
  await dir.putPerson(tenant, { id: 'bob', groups: ['billing-agents'], organisation: 'billing-team-a' }, 'create');
  await dir.putPerson(tenant, { id: 'cid', groups: ['billing-agents'], organisation: 'billing-team-b', manager: 'dora' }, 'create');
}

const ids = (xs: readonly { id: string }[]): string[] => xs.map((x) => x.id);

/**
 * The behaviour every {@link Directory} must show, run against the in-memory directory (unit
 * tests) and against Redis (integration tests).
 *
 * @param name label of the implementation
 * @param make returns a fresh, empty directory
 */
export function directoryContract(name: string, make: () => Directory | Promise<Directory>): void {
  describe(`Directory contract: ${name}`, () => {
    it('creates, reads, replaces and deletes persons, with conflicts and not-found named', async () => {
      const dir = await make();
      await dir.putGroup('acme', { id: 'billing-agents', name: 'Billing Agents' }, 'create');
      const { person, created } = await dir.putPerson(
        'acme',
        { id: 'ann', userName: 'ann@acme.test', groups: ['billing-agents'] },
        'create',
      );
      expect(created).toBe(true);
      expect(await dir.getPerson('acme', 'ann')).toEqual(person);
      expect((await dir.personByUserName('acme', 'ann@acme.test'))?.id).toBe('ann');
      await expect(dir.putPerson('acme', { id: 'ann' }, 'create')).rejects.toMatchObject({
        code: 'SLUICE_ERR_DIRECTORY_CONFLICT',
        status: 409,
      });
      await expect(dir.putPerson('acme', { id: 'zed' }, 'replace')).rejects.toMatchObject({
        code: 'SLUICE_ERR_DIRECTORY_NOT_FOUND',
        status: 404,
      });
      await expect(dir.putPerson('acme', { id: 'bob', userName: 'ann@acme.test' }, 'create')).rejects.toMatchObject({
        code: 'SLUICE_ERR_DIRECTORY_CONFLICT',
        message: expect.stringContaining('userName'),
      });
      expect(await dir.getPerson('acme', 'bob')).toBeUndefined();
      const replaced = await dir.putPerson('acme', { id: 'ann', userName: 'ann.b@acme.test', name: 'Ann B' }, 'upsert');
      expect(replaced.created).toBe(false);
      expect(await dir.getPerson('acme', 'ann')).toEqual({ id: 'ann', userName: 'ann.b@acme.test', name: 'Ann B' });
      expect(await dir.personByUserName('acme', 'ann@acme.test')).toBeUndefined();
      expect((await dir.listPersons('acme', { group: 'billing-agents' })).items).toEqual([]);
      await dir.deletePerson('acme', 'ann');
      expect(await dir.getPerson('acme', 'ann')).toBeUndefined();
      expect(await dir.personByUserName('acme', 'ann.b@acme.test')).toBeUndefined();
      await expect(dir.deletePerson('acme', 'ann')).rejects.toMatchObject({ code: 'SLUICE_ERR_DIRECTORY_NOT_FOUND' });
    });

    it('refuses bad persons with the field named, and references to what does not exist', async () => {
      const dir = await make();
      await expect(dir.putPerson('acme', { id: 'ann', phone: '030 1234' }, 'create')).rejects.toMatchObject({
        code: 'SLUICE_ERR_VALIDATION',
        details: { field: 'body.phone' },
      });
      await expect(dir.putPerson('acme', { id: 'a:b' }, 'create')).rejects.toMatchObject({ details: { field: 'body.id' } });
      await expect(dir.putPerson('acme', { id: 'creator' }, 'create')).rejects.toMatchObject({ details: { field: 'body.id' } });
      await expect(dir.putPerson('acme', { id: 'ann', groups: ['ghosts'] }, 'create')).rejects.toMatchObject({
        code: 'SLUICE_ERR_VALIDATION',
        details: { field: 'body.groups' },
      });
      await expect(dir.putPerson('acme', { id: 'ann', organisation: 'nowhere' }, 'create')).rejects.toMatchObject({
        details: { field: 'body.organisation' },
      });
      await expect(dir.putPerson('acme', { id: 'ann', webhook: 'ftp://x' }, 'create')).rejects.toMatchObject({
        details: { field: 'body.webhook' },
      });
      expect((await dir.listPersons('acme')).total).toBe(0);
    });

    it('keeps group members and organisation members in step with every write', async () => {
      const dir = await make();
      await seedBilling(dir);
      expect(ids((await dir.listPersons('acme', { group: 'billing-agents' })).items)).toEqual(['ann', 'bob', 'cid']);
      expect(ids((await dir.listPersons('acme', { organisation: 'billing-team-a' })).items)).toEqual(['ann', 'bob']);
      await dir.changeMembers('acme', 'billing-managers', { add: ['ann'], remove: ['max'] });
      expect(ids((await dir.listPersons('acme', { group: 'billing-managers' })).items)).toEqual(['ann', 'mia']);
      expect((await dir.getPerson('acme', 'ann'))?.groups).toEqual(['billing-agents', 'billing-managers']);
      await dir.changeMembers('acme', 'billing-managers', { replace: true, add: ['bob'] });
      expect(ids((await dir.listPersons('acme', { group: 'billing-managers' })).items)).toEqual(['bob']);
      await expect(dir.changeMembers('acme', 'billing-managers', { add: ['ghost'] })).rejects.toMatchObject({
        code: 'SLUICE_ERR_VALIDATION',
      });
      await expect(dir.changeMembers('acme', 'nope', { add: ['ann'] })).rejects.toMatchObject({ code: 'SLUICE_ERR_DIRECTORY_NOT_FOUND' });
      await dir.deleteGroup('acme', 'billing-managers');
      expect((await dir.getPerson('acme', 'bob'))?.groups).toEqual(['billing-agents']);
      await dir.putGroup('acme', { id: 'billing-managers' }, 'create');
      expect((await dir.listPersons('acme', { group: 'billing-managers' })).total).toBe(0);
      await dir.deletePerson('acme', 'ann');
      expect(ids((await dir.listPersons('acme', { organisation: 'billing-team-a' })).items)).toEqual(['bob']);
      expect(ids((await dir.listPersons('acme', { group: 'billing-agents' })).items)).toEqual(['bob', 'cid']);
    });

    it('keeps the organisation tree a tree and refuses deleting an organisation in use', async () => {
      const dir = await make();
      await seedBilling(dir);
      await expect(dir.putOrg('acme', { id: 'billing', parent: 'billing-team-a', head: 'dora' }, 'replace')).rejects.toMatchObject({
        code: 'SLUICE_ERR_DIRECTORY_CONFLICT',
      });
      await expect(dir.putOrg('acme', { id: 'x', parent: 'nope' }, 'create')).rejects.toMatchObject({ details: { field: 'body.parent' } });
      await expect(dir.putOrg('acme', { id: 'x', head: 'nobody' }, 'create')).rejects.toMatchObject({ details: { field: 'body.head' } });
      await expect(dir.deleteOrg('acme', 'billing')).rejects.toMatchObject({ code: 'SLUICE_ERR_DIRECTORY_CONFLICT' });
      await expect(dir.deleteOrg('acme', 'billing-team-a')).rejects.toMatchObject({ message: expect.stringContaining('members') });
      await dir.putOrg('acme', { id: 'empty', parent: 'billing' }, 'create');
      await dir.deleteOrg('acme', 'empty');
      expect(await dir.getOrg('acme', 'empty')).toBeUndefined();
      let parent = 'billing';
      for (let i = 0; i < L.maxOrgDepth - 1; i++) {
        await dir.putOrg('acme', { id: `deep-${i}`, parent }, 'create');
        parent = `deep-${i}`;
      }
      await expect(dir.putOrg('acme', { id: 'too-deep', parent }, 'create')).rejects.toMatchObject({ details: { field: 'body.parent' } });
    });

    it('finds managers from the organisation: explicit manager, else the head, up the tree past oneself', async () => {
      const dir = await make();
      await seedBilling(dir);
      expect((await dir.managerOf('acme', 'ann'))?.id).toBe('max');
      expect((await dir.managerOf('acme', 'cid'))?.id).toBe('dora');
      expect((await dir.managerOf('acme', 'max'))?.id).toBe('dora');
      expect(await dir.managerOf('acme', 'dora')).toBeUndefined();
      expect(await dir.managerOf('acme', 'ghost')).toBeUndefined();
      await dir.putPerson('acme', { id: 'bob', organisation: 'billing-team-a', manager: 'gone' }, 'replace');
      expect((await dir.managerOf('acme', 'bob'))?.id).toBe('max');
    });

    it('resolves people refs for assignment', async () => {
      const dir = await make();
      await seedBilling(dir);
      expect(ids(await dir.resolve('acme', { kind: 'group', id: 'billing-agents' }))).toEqual(['ann', 'bob', 'cid']);
      expect(ids(await dir.resolve('acme', { kind: 'organisation', id: 'billing-team-a' }))).toEqual(['ann', 'bob']);
      expect(await dir.resolve('acme', { kind: 'manager', id: 'ann' })).toEqual([{ id: 'max' }]);
      expect(await dir.resolve('acme', { kind: 'head', id: 'billing' })).toEqual([{ id: 'dora' }]);
      expect(await dir.resolve('acme', { kind: 'head', id: 'billing-team-b' })).toEqual([{ id: 'mia', active: false }]);
      expect(await dir.resolve('acme', { kind: 'user', id: 'ann' })).toEqual([
        { id: 'ann', skills: ['billing', 'de'], attributes: { site: 'berlin' }, capacity: 5 },
      ]);
      expect(await dir.resolve('acme', { kind: 'user', id: 'keyuser' })).toEqual([{ id: 'keyuser' }]);
      expect(await dir.resolve('acme', { kind: 'group', id: 'nope' })).toEqual([]);
      expect(await dir.resolve('globex', { kind: 'group', id: 'billing-agents' })).toEqual([]);
    });

    it('answers contacts for recipient refs, each person once, inactive people left out', async () => {
      const dir = await make();
      await seedBilling(dir);
      const got = await dir.contacts(
        'acme',
        ['user:ann', 'group:billing-managers', 'manager:creator', 'role:director', 'head:billing', 'bad ref'],
        {
          creator: 'ann',
        },
      );
      expect(got).toEqual([
        {
          personId: 'ann',
          addresses: { email: 'ann@acme.test', sms: '+4930100002', voice: '+4930100002', wecom: 'ann.w' },
          preferred: ['wecom', 'email'],
        },
        { personId: 'max', name: 'Max', language: 'de', addresses: {} },
        { personId: 'dora', name: 'Dora Head', addresses: { email: 'dora@acme.test', sms: '+4930100001', voice: '+4930100001' } },
      ]);
      expect((await dir.contacts('acme', ['manager:decider:level1'], { deciders: { level1: 'cid' } })).map((c) => c.personId)).toEqual([
        'dora',
      ]);
      expect(await dir.contacts('acme', ['manager:creator'], { creator: 'system:ivr' })).toEqual([]);
      expect(await dir.contacts('globex', ['user:ann', 'group:billing-agents'])).toEqual([]);
    });

    it('pages lists by id with tenant-bound cursors and totals', async () => {
      const dir = await make();
      for (let i = 0; i < 7; i++) await dir.putPerson('acme', { id: `p${i}` }, 'create');
      await dir.putPerson('globex', { id: 'zz' }, 'create');
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await dir.listPersons('acme', { limit: 3, ...(cursor && { cursor }) });
        expect(page.total).toBe(7);
        seen.push(...ids(page.items));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
      const first = await dir.listPersons('acme', { limit: 3 });
      await expect(dir.listPersons('globex', { cursor: first.nextCursor as string })).rejects.toMatchObject({
        code: 'SLUICE_ERR_CURSOR_INVALID',
      });
      await expect(dir.listGroups('acme', { cursor: first.nextCursor as string })).rejects.toMatchObject({
        code: 'SLUICE_ERR_CURSOR_INVALID',
      });
      expect(ids((await dir.listPersons('globex')).items)).toEqual(['zz']);
    });

    it('bounds the groups of one person', async () => {
      const dir = await make();
      const groups = Array.from({ length: L.maxGroupsPerPerson + 1 }, (_, i) => `g${String(i).padStart(3, '0')}`);
      for (const g of groups) await dir.putGroup('acme', { id: g }, 'create');
      await dir.putPerson('acme', { id: 'ann', groups: groups.slice(0, L.maxGroupsPerPerson) }, 'create');
      await expect(dir.changeMembers('acme', groups[L.maxGroupsPerPerson] as string, { add: ['ann'] })).rejects.toMatchObject({
        code: 'SLUICE_ERR_DIRECTORY_FULL',
      });
      await expect(dir.putPerson('acme', { id: 'bob', groups }, 'create')).rejects.toMatchObject({ details: { field: 'body.groups' } });
    });

    it('tells listeners who left: deleted or made inactive', async () => {
      const dir = await make();
      const changes: DirectoryChange[] = [];
      dir.on('change', (c) => changes.push(c));
      await dir.putPerson('acme', { id: 'ann' }, 'create');
      await dir.putPerson('acme', { id: 'ann', active: false }, 'replace');
      await dir.putPerson('acme', { id: 'bob' }, 'create');
      await dir.deletePerson('acme', 'bob');
      await expect(dir.deletePerson('acme', 'bob')).rejects.toThrow();
      expect(changes.map((c) => [c.kind, c.id, c.left])).toEqual([
        ['person', 'ann', []],
        ['person', 'ann', ['ann']],
        ['person', 'bob', []],
        ['person', 'bob', ['bob']],
      ]);
    });
  });
}
