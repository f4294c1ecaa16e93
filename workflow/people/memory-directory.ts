import { DirectoryBase, type DirectoryList, type MemberChange, type Refusal, type WriteMode, type Written } from './directory.js';
import { DIRECTORY_LIMITS as L } from './limits.js';
import type { DirectoryGroup, DirectoryOrg, DirectoryPerson } from './model.js';

interface TenantDirectory {
  /** Persons without their groups (memberships live in `personGroups`). */
  readonly persons: Map<string, DirectoryPerson>;
  readonly groups: Map<string, DirectoryGroup>;
  readonly orgs: Map<string, DirectoryOrg>;
  readonly userNames: Map<string, string>;
  readonly groupNames: Map<string, string>;
  readonly personGroups: Map<string, Set<string>>;
  readonly groupMembers: Map<string, Set<string>>;
  readonly orgMembers: Map<string, Set<string>>;
  readonly orgChildren: Map<string, Set<string>>;
}

const byId = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function setOf(map: Map<string, Set<string>>, key: string): Set<string> {
  let s = map.get(key);
  if (!s) map.set(key, (s = new Set()));
  return s;
}

function drop(map: Map<string, Set<string>>, key: string, value: string): void {
  const s = map.get(key);
  if (!s) return;
  s.delete(value);
  if (s.size === 0) map.delete(key);
}

const withoutGroups = ({ groups: _groups, ...rest }: DirectoryPerson): DirectoryPerson => rest;

/**
 * The in-memory directory (the embedded default and the demo's; tests fill it). Each write
 * runs without an await between its checks and its changes, so it is atomic like the Redis
 * scripts. Everything handed out is a copy.
 */
export class MemoryDirectory extends DirectoryBase {
  readonly #tenants = new Map<string, TenantDirectory>();

  #t(tenant: string): TenantDirectory {
    let t = this.#tenants.get(tenant);
    if (!t) {
      t = {
        persons: new Map(),
        groups: new Map(),
        orgs: new Map(),
        userNames: new Map(),
        groupNames: new Map(),
        personGroups: new Map(),
        groupMembers: new Map(),
        orgMembers: new Map(),
        orgChildren: new Map(),
      };
      this.#tenants.set(tenant, t);
    }
    return t;
  }

  #person(t: TenantDirectory, id: string): DirectoryPerson | undefined {
    const p = t.persons.get(id);
    if (!p) return undefined;
    const groups = [...(t.personGroups.get(id) ?? [])].sort(byId);
    return structuredClone(groups.length > 0 ? { ...p, groups } : p);
  }

  protected async readPersons(tenant: string, ids: readonly string[]): Promise<(DirectoryPerson | undefined)[]> {
    const t = this.#t(tenant);
    return ids.map((id) => this.#person(t, id));
  }

  protected async readGroups(tenant: string, ids: readonly string[]): Promise<(DirectoryGroup | undefined)[]> {
    const t = this.#t(tenant);
    return ids.map((id) => {
      const g = t.groups.get(id);
      return g && structuredClone(g);
    });
  }

  protected async readOrgs(tenant: string, ids: readonly string[]): Promise<(DirectoryOrg | undefined)[]> {
    const t = this.#t(tenant);
    return ids.map((id) => {
      const o = t.orgs.get(id);
      return o && structuredClone(o);
    });
  }

  protected async idByName(tenant: string, kind: 'person' | 'group', name: string): Promise<string | undefined> {
    const t = this.#t(tenant);
    return (kind === 'person' ? t.userNames : t.groupNames).get(name);
  }

  protected async listIds(
    tenant: string,
    list: DirectoryList,
    after: string | undefined,
    limit: number,
  ): Promise<{ ids: string[]; total: number }> {
    const t = this.#t(tenant);
    let all: Iterable<string>;
    switch (list.of) {
      case 'persons':
        all = t.persons.keys();
        break;
      case 'groups':
        all = t.groups.keys();
        break;
      case 'orgs':
        all = t.orgs.keys();
        break;
      case 'group-members':
        all = t.groupMembers.get(list.id) ?? [];
        break;
      case 'org-members':
        all = t.orgMembers.get(list.id) ?? [];
        break;
    }
    const sorted = [...all].sort(byId);
    return { ids: sorted.filter((id) => after === undefined || id > after).slice(0, limit), total: sorted.length };
  }

  protected async writePerson(tenant: string, person: DirectoryPerson, mode: WriteMode): Promise<Written<DirectoryPerson> | Refusal> {
    const t = this.#t(tenant);
    const old = this.#person(t, person.id);
    if (old && mode === 'create') return { refused: 'exists' };
    if (!old && mode === 'replace') return { refused: 'missing' };
    if (!old && t.persons.size >= L.maxPersons) return { refused: 'full' };
    if (person.userName !== undefined) {
      const owner = t.userNames.get(person.userName);
      if (owner !== undefined && owner !== person.id) return { refused: 'name-taken', owner };
    }
    for (const g of person.groups ?? []) if (!t.groups.has(g)) return { refused: 'no-group', ref: g };
    if (person.organisation !== undefined && !t.orgs.has(person.organisation)) return { refused: 'no-org', ref: person.organisation };
    if (old?.userName !== undefined) t.userNames.delete(old.userName);
    if (old?.organisation !== undefined) drop(t.orgMembers, old.organisation, person.id);
    for (const g of t.personGroups.get(person.id) ?? []) drop(t.groupMembers, g, person.id);
    t.personGroups.delete(person.id);
    for (const g of person.groups ?? []) {
      setOf(t.personGroups, person.id).add(g);
      setOf(t.groupMembers, g).add(person.id);
    }
    if (person.userName !== undefined) t.userNames.set(person.userName, person.id);
    if (person.organisation !== undefined) setOf(t.orgMembers, person.organisation).add(person.id);
    t.persons.set(person.id, structuredClone(withoutGroups(person)));
    return old ? { created: false, previous: old } : { created: true };
  }

  protected async removePerson(tenant: string, id: string): Promise<DirectoryPerson | undefined> {
    const t = this.#t(tenant);
    const old = this.#person(t, id);
    if (!old) return undefined;
    if (old.userName !== undefined) t.userNames.delete(old.userName);
    if (old.organisation !== undefined) drop(t.orgMembers, old.organisation, id);
    for (const g of t.personGroups.get(id) ?? []) drop(t.groupMembers, g, id);
    t.personGroups.delete(id);
    t.persons.delete(id);
    return old;
  }

  protected async writeGroup(tenant: string, group: DirectoryGroup, mode: WriteMode): Promise<Written<DirectoryGroup> | Refusal> {
    const t = this.#t(tenant);
    const old = t.groups.get(group.id);
    if (old && mode === 'create') return { refused: 'exists' };
    if (!old && mode === 'replace') return { refused: 'missing' };
    if (!old && t.groups.size >= L.maxGroups) return { refused: 'full' };
    if (group.name !== undefined) {
      const owner = t.groupNames.get(group.name);
      if (owner !== undefined && owner !== group.id) return { refused: 'name-taken', owner };
    }
    if (old?.name !== undefined) t.groupNames.delete(old.name);
    if (group.name !== undefined) t.groupNames.set(group.name, group.id);
    t.groups.set(group.id, structuredClone(group));
    return old ? { created: false, previous: structuredClone(old) } : { created: true };
  }

  protected async removeGroup(tenant: string, id: string): Promise<DirectoryGroup | undefined> {
    const t = this.#t(tenant);
    const old = t.groups.get(id);
    if (!old) return undefined;
    for (const m of t.groupMembers.get(id) ?? []) drop(t.personGroups, m, id);
    t.groupMembers.delete(id);
    if (old.name !== undefined) t.groupNames.delete(old.name);
    t.groups.delete(id);
    return old;
  }

  protected async writeMembers(tenant: string, groupId: string, change: MemberChange): Promise<{ done: true } | Refusal> {
    const t = this.#t(tenant);
    if (!t.groups.has(groupId)) return { refused: 'missing' };
    const add = change.add ?? [];
    for (const m of add) {
      if (!t.persons.has(m)) return { refused: 'no-person', ref: m };
      const held = t.personGroups.get(m);
      if (!held?.has(groupId) && (held?.size ?? 0) >= L.maxGroupsPerPerson) return { refused: 'too-many-groups', ref: m };
    }
    if (change.replace) {
      for (const m of t.groupMembers.get(groupId) ?? []) drop(t.personGroups, m, groupId);
      t.groupMembers.delete(groupId);
    }
    for (const m of change.remove ?? []) {
      drop(t.personGroups, m, groupId);
      drop(t.groupMembers, groupId, m);
    }
    for (const m of add) {
      setOf(t.personGroups, m).add(groupId);
      setOf(t.groupMembers, groupId).add(m);
    }
    return { done: true };
  }

  protected async writeOrg(tenant: string, org: DirectoryOrg, mode: WriteMode): Promise<Written<DirectoryOrg> | Refusal> {
    const t = this.#t(tenant);
    const old = t.orgs.get(org.id);
    if (old && mode === 'create') return { refused: 'exists' };
    if (!old && mode === 'replace') return { refused: 'missing' };
    if (!old && t.orgs.size >= L.maxOrgs) return { refused: 'full' };
    if (org.parent !== undefined) {
      if (!t.orgs.has(org.parent)) return { refused: 'no-parent', ref: org.parent };
      let cur: string | undefined = org.parent;
      let depth = 1;
      while (cur !== undefined) {
        if (cur === org.id) return { refused: 'cycle' };
        if (++depth > L.maxOrgDepth) return { refused: 'too-deep' };
        cur = t.orgs.get(cur)?.parent;
      }
    }
    if (org.head !== undefined && !t.persons.has(org.head)) return { refused: 'no-head', ref: org.head };
    if (old?.parent !== undefined) drop(t.orgChildren, old.parent, org.id);
    if (org.parent !== undefined) setOf(t.orgChildren, org.parent).add(org.id);
    t.orgs.set(org.id, structuredClone(org));
    return old ? { created: false, previous: structuredClone(old) } : { created: true };
  }

  protected async removeOrg(tenant: string, id: string): Promise<DirectoryOrg | Refusal | undefined> {
    const t = this.#t(tenant);
    const old = t.orgs.get(id);
    if (!old) return undefined;
    if ((t.orgMembers.get(id)?.size ?? 0) > 0) return { refused: 'has-members' };
    if ((t.orgChildren.get(id)?.size ?? 0) > 0) return { refused: 'has-children' };
    if (old.parent !== undefined) drop(t.orgChildren, old.parent, id);
    t.orgs.delete(id);
    return old;
  }
}
