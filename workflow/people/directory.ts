import { Emitter, type Listener } from '../../core/emitter.js';
import { workflowError } from '../errors.js';
import type { Person } from './assignment.js';
import { DIRECTORY_LIMITS as L } from './limits.js';
import {
  checkGroup,
  checkId,
  checkOrg,
  checkPerson,
  decodeDirectoryCursor,
  encodeDirectoryCursor,
  full,
  missingRef,
  notFound,
  pageSize,
  type DirectoryGroup,
  type DirectoryKind,
  type DirectoryListOptions,
  type DirectoryOrg,
  type DirectoryPage,
  type DirectoryPerson,
} from './model.js';
import type { Contact, ContactChannel, ContactDirectory, PeopleDirectory, PrincipalRef, RecipientContext } from './ports.js';
import { parsePeopleRef, subjectPerson } from './refs.js';

/** A directory change, told to listeners after the store accepted it. */
export interface DirectoryChange {
  readonly tenant: string;
  readonly kind: DirectoryKind;
  readonly id: string;
  /** Persons who can no longer take work because of it (deleted, or made inactive). */
  readonly left: readonly string[];
}

/** Events of a {@link Directory}. */
export interface DirectoryEvents {
  change: DirectoryChange;
}

/** How a write treats an existing entity. */
export type WriteMode = 'create' | 'replace' | 'upsert';

/** What a store primitive answers to a write it refused. */
export type Refusal =
  | { readonly refused: 'exists' | 'missing' | 'full' }
  | { readonly refused: 'name-taken'; readonly owner: string }
  | { readonly refused: 'no-group' | 'no-org' | 'no-person' | 'no-parent' | 'no-head'; readonly ref: string }
  | { readonly refused: 'too-many-groups'; readonly ref: string }
  | { readonly refused: 'cycle' | 'too-deep' | 'has-members' | 'has-children' };

/** What a store primitive answers to a write it made. */
export type Written<T> = { readonly created: boolean; readonly previous?: T };

/** Lists a store primitive pages through, ordered by id. */
export type DirectoryList =
  | { readonly of: 'persons' | 'groups' | 'orgs' }
  | { readonly of: 'group-members' | 'org-members'; readonly id: string };

/** Membership change of one group. */
export interface MemberChange {
  readonly add?: readonly string[];
  readonly remove?: readonly string[];
  /** Drop every member first (SCIM `PUT`, `replace members`). */
  readonly replace?: boolean;
}

/**
 * The people directory of every tenant: persons, groups and an organisation tree, kept by
 * the API (`/v1/people`, `/v1/groups`, `/v1/orgs`) and by identity providers (SCIM). It is the
 * workflow's {@link PeopleDirectory} (who a flow's assignee spec stands for) and alert
 * delivery's {@link ContactDirectory} (who a warning's recipients are, with their addresses).
 */
export interface Directory extends PeopleDirectory, ContactDirectory {
  getPerson(tenant: string, id: string): Promise<DirectoryPerson | undefined>;
  /** The person with this SCIM `userName`. */
  personByUserName(tenant: string, userName: string): Promise<DirectoryPerson | undefined>;
  /**
   * Writes a person (checked with `checkPerson`): `create` refuses an existing id, `replace` a missing one.
   *
   * @throws SluiceError `SLUICE_ERR_VALIDATION`, `SLUICE_ERR_DIRECTORY_CONFLICT`, `SLUICE_ERR_DIRECTORY_NOT_FOUND`, `SLUICE_ERR_DIRECTORY_FULL`
   */
  putPerson(tenant: string, person: unknown, mode: WriteMode): Promise<{ person: DirectoryPerson; created: boolean }>;
  /** @throws SluiceError `SLUICE_ERR_DIRECTORY_NOT_FOUND` */
  deletePerson(tenant: string, id: string): Promise<void>;
  /** Persons by id; with `group` or `organisation`, that group's or organisation's members. */
  listPersons(
    tenant: string,
    options?: DirectoryListOptions & { readonly group?: string; readonly organisation?: string },
  ): Promise<DirectoryPage<DirectoryPerson>>;
  getGroup(tenant: string, id: string): Promise<DirectoryGroup | undefined>;
  /** The group with this display name. */
  groupByName(tenant: string, name: string): Promise<DirectoryGroup | undefined>;
  /** @throws SluiceError as {@link Directory.putPerson} */
  putGroup(tenant: string, group: unknown, mode: WriteMode): Promise<{ group: DirectoryGroup; created: boolean }>;
  /** Deletes a group; its members stay, without it. @throws SluiceError `SLUICE_ERR_DIRECTORY_NOT_FOUND` */
  deleteGroup(tenant: string, id: string): Promise<void>;
  listGroups(tenant: string, options?: DirectoryListOptions): Promise<DirectoryPage<DirectoryGroup>>;
  /**
   * Adds and removes members of a group.
   *
   * @throws SluiceError `SLUICE_ERR_DIRECTORY_NOT_FOUND` (group), `SLUICE_ERR_VALIDATION` (a member that does not exist), `SLUICE_ERR_DIRECTORY_FULL`
   */
  changeMembers(tenant: string, groupId: string, change: MemberChange): Promise<void>;
  getOrg(tenant: string, id: string): Promise<DirectoryOrg | undefined>;
  /** @throws SluiceError as {@link Directory.putPerson}; a `parent` making a cycle is a conflict */
  putOrg(tenant: string, org: unknown, mode: WriteMode): Promise<{ org: DirectoryOrg; created: boolean }>;
  /** @throws SluiceError `SLUICE_ERR_DIRECTORY_NOT_FOUND`; `SLUICE_ERR_DIRECTORY_CONFLICT` while it has members or sub-organisations */
  deleteOrg(tenant: string, id: string): Promise<void>;
  listOrgs(tenant: string, options?: DirectoryListOptions): Promise<DirectoryPage<DirectoryOrg>>;
  /** The manager of a person (explicit manager, else the head of their organisation, up the tree); undefined when none. */
  managerOf(tenant: string, personId: string): Promise<DirectoryPerson | undefined>;
  /** Subscribes to changes; returns the unsubscribe function. */
  on(event: 'change', listener: Listener<DirectoryChange>): () => void;
}

/** The assignment view of a directory person. */
export function toPerson(p: DirectoryPerson): Person {
  return {
    id: p.id,
    ...(p.skills && { skills: p.skills }),
    ...(p.attributes && { attributes: p.attributes }),
    ...(p.capacity !== undefined && { capacity: p.capacity }),
    ...(p.active === false && { active: false }),
  };
}

/** The alert-delivery view of a directory person. */
export function toContact(p: DirectoryPerson): Contact {
  const addresses: Partial<Record<ContactChannel, string>> = {};
  if (p.email) addresses.email = p.email;
  if (p.phone) {
    addresses.sms = p.phone;
    addresses.voice = p.phone;
  }
  if (p.wecom) addresses.wecom = p.wecom;
  if (p.webhook) addresses.webhook = p.webhook;
  return {
    personId: p.id,
    addresses,
    ...(p.name !== undefined && { name: p.name }),
    ...(p.language !== undefined && { language: p.language }),
    ...(p.preferred && { preferred: p.preferred }),
  };
}

const NAME_TAKEN: Record<'person' | 'group', string> = { person: 'userName', group: 'displayName' };

/**
 * Everything a directory does above its store: input checks, errors, pages, resolution of
 * people refs and contacts, change events. {@link MemoryDirectory} and `RedisDirectory`
 * supply the primitives, each atomic (referential checks, limits and indexes in one step).
 */
export abstract class DirectoryBase implements Directory {
  readonly #events = new Emitter<DirectoryEvents>();

  /** Persons by id (undefined where missing), with their groups. */
  protected abstract readPersons(tenant: string, ids: readonly string[]): Promise<(DirectoryPerson | undefined)[]>;
  protected abstract readGroups(tenant: string, ids: readonly string[]): Promise<(DirectoryGroup | undefined)[]>;
  protected abstract readOrgs(tenant: string, ids: readonly string[]): Promise<(DirectoryOrg | undefined)[]>;
  /** Id of the person with this userName, or of the group with this display name. */
  protected abstract idByName(tenant: string, kind: 'person' | 'group', name: string): Promise<string | undefined>;
  /** Up to `limit` ids of a list after `after`, and the list's size. */
  protected abstract listIds(
    tenant: string,
    list: DirectoryList,
    after: string | undefined,
    limit: number,
  ): Promise<{ ids: string[]; total: number }>;
  protected abstract writePerson(tenant: string, person: DirectoryPerson, mode: WriteMode): Promise<Written<DirectoryPerson> | Refusal>;
  protected abstract removePerson(tenant: string, id: string): Promise<DirectoryPerson | undefined>;
  protected abstract writeGroup(tenant: string, group: DirectoryGroup, mode: WriteMode): Promise<Written<DirectoryGroup> | Refusal>;
  protected abstract removeGroup(tenant: string, id: string): Promise<DirectoryGroup | undefined>;
  protected abstract writeMembers(tenant: string, groupId: string, change: MemberChange): Promise<{ done: true } | Refusal>;
  protected abstract writeOrg(tenant: string, org: DirectoryOrg, mode: WriteMode): Promise<Written<DirectoryOrg> | Refusal>;
  protected abstract removeOrg(tenant: string, id: string): Promise<DirectoryOrg | Refusal | undefined>;

  on(event: 'change', listener: Listener<DirectoryChange>): () => void {
    return this.#events.on(event, listener);
  }

  #emit(change: DirectoryChange): void {
    this.#events.emit('change', change);
  }

  #refuse(tenant: string, kind: DirectoryKind, id: string, r: Refusal, field: string): never {
    switch (r.refused) {
      case 'exists':
        throw workflowError(
          'SLUICE_ERR_DIRECTORY_CONFLICT',
          `${kind === 'org' ? 'organisation' : kind} "${id}" already exists in tenant "${tenant}"`,
        );
      case 'missing':
        throw notFound(kind, tenant, id);
      case 'full':
        throw full(kind, tenant, kind === 'person' ? L.maxPersons : kind === 'group' ? L.maxGroups : L.maxOrgs);
      case 'name-taken':
        throw workflowError(
          'SLUICE_ERR_DIRECTORY_CONFLICT',
          `${NAME_TAKEN[kind as 'person' | 'group']} of ${kind} "${id}" is taken by ${kind} "${r.owner}" in tenant "${tenant}"`,
        );
      case 'no-group':
        throw missingRef('group', r.ref, `${field}.groups`);
      case 'no-org':
        throw missingRef('org', r.ref, `${field}.organisation`);
      case 'no-person':
        throw missingRef('person', r.ref, `${field}.members`);
      case 'no-parent':
        throw missingRef('org', r.ref, `${field}.parent`);
      case 'no-head':
        throw missingRef('person', r.ref, `${field}.head`);
      case 'too-many-groups':
        throw workflowError(
          'SLUICE_ERR_DIRECTORY_FULL',
          `person "${r.ref}" already belongs to ${L.maxGroupsPerPerson} groups, the most allowed`,
        );
      case 'cycle':
        throw workflowError('SLUICE_ERR_DIRECTORY_CONFLICT', `${field}.parent would make organisation "${id}" its own ancestor`);
      case 'too-deep':
        throw workflowError(
          'SLUICE_ERR_VALIDATION',
          `${field}.parent would make the organisation tree deeper than ${L.maxOrgDepth} levels`,
          {
            details: { field: `${field}.parent` },
          },
        );
      case 'has-members':
        throw workflowError('SLUICE_ERR_DIRECTORY_CONFLICT', `organisation "${id}" still has members: move them first`);
      case 'has-children':
        throw workflowError('SLUICE_ERR_DIRECTORY_CONFLICT', `organisation "${id}" still has sub-organisations: move or delete them first`);
    }
  }

  async getPerson(tenant: string, id: string): Promise<DirectoryPerson | undefined> {
    return (await this.readPersons(tenant, [id]))[0];
  }

  async personByUserName(tenant: string, userName: string): Promise<DirectoryPerson | undefined> {
    const id = await this.idByName(tenant, 'person', userName);
    return id === undefined ? undefined : this.getPerson(tenant, id);
  }

  async putPerson(tenant: string, input: unknown, mode: WriteMode): Promise<{ person: DirectoryPerson; created: boolean }> {
    const person = checkPerson(input);
    const r = await this.writePerson(tenant, person, mode);
    if ('refused' in r) this.#refuse(tenant, 'person', person.id, r, 'body');
    const wasActive = r.previous !== undefined && r.previous.active !== false;
    this.#emit({ tenant, kind: 'person', id: person.id, left: wasActive && person.active === false ? [person.id] : [] });
    return { person, created: r.created };
  }

  async deletePerson(tenant: string, id: string): Promise<void> {
    const old = await this.removePerson(tenant, id);
    if (!old) throw notFound('person', tenant, id);
    this.#emit({ tenant, kind: 'person', id, left: [id] });
  }

  async listPersons(
    tenant: string,
    options: DirectoryListOptions & { readonly group?: string; readonly organisation?: string } = {},
  ): Promise<DirectoryPage<DirectoryPerson>> {
    const list: DirectoryList =
      options.group !== undefined
        ? { of: 'group-members', id: options.group }
        : options.organisation !== undefined
          ? { of: 'org-members', id: options.organisation }
          : { of: 'persons' };
    return this.#page(tenant, list, options, (ids) => this.readPersons(tenant, ids));
  }

  async #page<T extends { id: string }>(
    tenant: string,
    list: DirectoryList,
    options: DirectoryListOptions,
    read: (ids: readonly string[]) => Promise<(T | undefined)[]>,
  ): Promise<DirectoryPage<T>> {
    const size = pageSize(options.limit);
    const name = 'id' in list ? `${list.of}:${list.id}` : list.of;
    const after = options.cursor === undefined ? undefined : decodeDirectoryCursor(tenant, name, options.cursor);
    const { ids, total } = await this.listIds(tenant, list, after, size + 1);
    const items = (await read(ids.slice(0, size))).filter((x): x is Awaited<T> => x !== undefined);
    const last = ids[size - 1];
    return ids.length > size && last !== undefined
      ? { items, total, nextCursor: encodeDirectoryCursor(tenant, name, last) }
      : { items, total };
  }

  async getGroup(tenant: string, id: string): Promise<DirectoryGroup | undefined> {
    return (await this.readGroups(tenant, [id]))[0];
  }

  async groupByName(tenant: string, name: string): Promise<DirectoryGroup | undefined> {
    const id = await this.idByName(tenant, 'group', name);
    return id === undefined ? undefined : this.getGroup(tenant, id);
  }

  async putGroup(tenant: string, input: unknown, mode: WriteMode): Promise<{ group: DirectoryGroup; created: boolean }> {
    const group = checkGroup(input);
    const r = await this.writeGroup(tenant, group, mode);
    if ('refused' in r) this.#refuse(tenant, 'group', group.id, r, 'body');
    this.#emit({ tenant, kind: 'group', id: group.id, left: [] });
    return { group, created: r.created };
  }

  async deleteGroup(tenant: string, id: string): Promise<void> {
    if (!(await this.removeGroup(tenant, id))) throw notFound('group', tenant, id);
    this.#emit({ tenant, kind: 'group', id, left: [] });
  }

  listGroups(tenant: string, options: DirectoryListOptions = {}): Promise<DirectoryPage<DirectoryGroup>> {
    return this.#page(tenant, { of: 'groups' }, options, (ids) => this.readGroups(tenant, ids));
  }

  async changeMembers(tenant: string, groupId: string, change: MemberChange): Promise<void> {
    const add = [...new Set((change.add ?? []).map((m, i) => checkId(m, `members.add[${i}]`)))];
    const remove = [...new Set((change.remove ?? []).map((m, i) => checkId(m, `members.remove[${i}]`)))];
    if (add.length + remove.length > L.maxMembersPerWrite)
      throw workflowError('SLUICE_ERR_VALIDATION', `members: at most ${L.maxMembersPerWrite} members change in one write`, {
        details: { field: 'members' },
      });
    const r = await this.writeMembers(tenant, groupId, { add, remove, replace: change.replace === true });
    if ('refused' in r) {
      if (r.refused === 'missing') throw notFound('group', tenant, groupId);
      this.#refuse(tenant, 'group', groupId, r, 'body');
    }
    this.#emit({ tenant, kind: 'group', id: groupId, left: [] });
  }

  async getOrg(tenant: string, id: string): Promise<DirectoryOrg | undefined> {
    return (await this.readOrgs(tenant, [id]))[0];
  }

  async putOrg(tenant: string, input: unknown, mode: WriteMode): Promise<{ org: DirectoryOrg; created: boolean }> {
    const org = checkOrg(input);
    const r = await this.writeOrg(tenant, org, mode);
    if ('refused' in r) this.#refuse(tenant, 'org', org.id, r, 'body');
    this.#emit({ tenant, kind: 'org', id: org.id, left: [] });
    return { org, created: r.created };
  }

  async deleteOrg(tenant: string, id: string): Promise<void> {
    const r = await this.removeOrg(tenant, id);
    if (!r) throw notFound('org', tenant, id);
    if ('refused' in r) this.#refuse(tenant, 'org', id, r, 'body');
    this.#emit({ tenant, kind: 'org', id, left: [] });
  }

  listOrgs(tenant: string, options: DirectoryListOptions = {}): Promise<DirectoryPage<DirectoryOrg>> {
    return this.#page(tenant, { of: 'orgs' }, options, (ids) => this.readOrgs(tenant, ids));
  }

  async #allIds(tenant: string, list: DirectoryList): Promise<string[]> {
    return (await this.listIds(tenant, list, undefined, L.maxResolved)).ids;
  }

  async #persons(tenant: string, ids: readonly string[]): Promise<DirectoryPerson[]> {
    return (await this.readPersons(tenant, ids)).filter((p): p is DirectoryPerson => p !== undefined);
  }

  /** The head of an organisation, when it names a person who exists and is not `except`. */
  async #headOf(tenant: string, orgId: string, except?: string): Promise<DirectoryPerson | undefined> {
    const org = await this.getOrg(tenant, orgId);
    if (org?.head === undefined || org.head === except) return undefined;
    return this.getPerson(tenant, org.head);
  }

  async managerOf(tenant: string, personId: string): Promise<DirectoryPerson | undefined> {
    const person = await this.getPerson(tenant, personId);
    if (!person) return undefined;
    if (person.manager !== undefined && person.manager !== personId) {
      const explicit = await this.getPerson(tenant, person.manager);
      if (explicit) return explicit;
    }
    // Up the tree: the head of the person's organisation, or of the first ancestor headed by someone else.
    let orgId = person.organisation;
    const seen = new Set<string>();
    for (let depth = 0; orgId !== undefined && depth <= L.maxOrgDepth && !seen.has(orgId); depth++) {
      seen.add(orgId);
      const org = await this.getOrg(tenant, orgId);
      if (!org) return undefined;
      if (org.head !== undefined && org.head !== personId) {
        const head = await this.getPerson(tenant, org.head);
        if (head) return head;
      }
      orgId = org.parent;
    }
    return undefined;
  }

  /** Directory persons a ref stands for (unknown users stand for nobody here). */
  async #members(tenant: string, ref: PrincipalRef): Promise<DirectoryPerson[]> {
    switch (ref.kind) {
      case 'user':
        return this.#persons(tenant, [ref.id]);
      case 'group':
        return this.#persons(tenant, await this.#allIds(tenant, { of: 'group-members', id: ref.id }));
      case 'organisation':
        return this.#persons(tenant, await this.#allIds(tenant, { of: 'org-members', id: ref.id }));
      case 'head': {
        const head = await this.#headOf(tenant, ref.id);
        return head ? [head] : [];
      }
      case 'manager': {
        const manager = await this.managerOf(tenant, ref.id);
        return manager ? [manager] : [];
      }
    }
  }

  async resolve(tenant: string, ref: PrincipalRef): Promise<Person[]> {
    const found = await this.#members(tenant, ref);
    // A flow may name a user the directory does not hold (a key's user): they stand for themselves.
    if (ref.kind === 'user' && found.length === 0) return [{ id: ref.id }];
    return found.map(toPerson);
  }

  async contacts(tenant: string, refs: readonly string[], context?: RecipientContext): Promise<Contact[]> {
    const out = new Map<string, Contact>();
    for (const raw of refs) {
      const ref = parsePeopleRef(raw);
      if (!ref || ref.kind === 'role') continue;
      let principal: PrincipalRef | undefined;
      if (ref.kind === 'manager') {
        const subject = subjectPerson(ref.subject, context);
        principal = subject === undefined ? undefined : { kind: 'manager', id: subject };
      } else {
        principal = { kind: ref.kind as PrincipalRef['kind'], id: ref.id };
      }
      if (!principal) continue;
      for (const p of await this.#members(tenant, principal)) {
        if (p.active === false || out.has(p.id)) continue;
        out.set(p.id, toContact(p));
        if (out.size >= L.maxResolved) return [...out.values()];
      }
    }
    return [...out.values()];
  }
}
