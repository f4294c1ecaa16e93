import type { Directory } from './directory.js';

/**
 * The demo's people (`npm start`): a billing department for the shipped fee-reduction flow, so
 * its tickets find a first-level agent, the agent's line manager and the department head.
 *
 *     billing            head dora   (department-heads; hal too)
 *     ├── billing-team-a head max    ann, bob   (billing-agents)
 *     └── billing-team-b head mia    cid        (billing-agents)
 *     sue: billing supervisor (billing-supervisors), reports to dora
 *
 * Addresses use the reserved `example.com` domain and the +1-555-01xx fictional numbers.
 */
export async function seedDemoDirectory(dir: Directory, tenant: string): Promise<boolean> {
  if ((await dir.listPersons(tenant, { limit: 1 })).total > 0) return false;
  for (const id of ['billing-agents', 'billing-managers', 'department-heads', 'billing-supervisors'])
    await dir.putGroup(tenant, { id }, 'upsert');
  const person = (id: string, name: string, n: number, extra: Record<string, unknown>) =>
    dir.putPerson(
      tenant,
      { id, name, email: `${id}@example.com`, phone: `+1555010${String(n).padStart(4, '0')}`.slice(0, 12), language: 'en', ...extra },
      'upsert',
    );
  await person('dora', 'Dora Department-Head', 1, { groups: ['department-heads'], preferred: ['voice', 'email'] });
  await person('hal', 'Hal Head', 2, { groups: ['department-heads'] });
  await dir.putOrg(tenant, { id: 'billing', name: 'Billing', head: 'dora' }, 'upsert');
  await person('max', 'Max Manager', 3, { groups: ['billing-managers'], organisation: 'billing', preferred: ['sms', 'email'] });
  await person('mia', 'Mia Manager', 4, { groups: ['billing-managers'], organisation: 'billing' });
  await dir.putOrg(tenant, { id: 'billing-team-a', name: 'Billing team A', parent: 'billing', head: 'max' }, 'upsert');
  await dir.putOrg(tenant, { id: 'billing-team-b', name: 'Billing team B', parent: 'billing', head: 'mia' }, 'upsert');
  await person('sue', 'Sue Supervisor', 5, { groups: ['billing-supervisors'], organisation: 'billing' });
  for (const [i, id] of ['ann', 'bob', 'cid'].entries())
    await person(id, `${id[0]?.toUpperCase()}${id.slice(1)} Agent`, 6 + i, {
      groups: ['billing-agents'],
      organisation: i < 2 ? 'billing-team-a' : 'billing-team-b',
      skills: ['billing'],
      capacity: 25,
    });
  return true;
}
