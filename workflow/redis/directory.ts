import type { Redis } from 'ioredis';
import { DirectoryBase, type DirectoryList, type MemberChange, type Refusal, type WriteMode, type Written } from '../people/directory.js';
import { DIRECTORY_LIMITS as L } from '../people/limits.js';
import type { DirectoryGroup, DirectoryOrg, DirectoryPerson } from '../people/model.js';
import { guard, LuaScript, WorkflowKeys } from './connection.js';

/*
 * Keys under the tenant's directory prefix P (`sluice:wf:{tenant}:dir:`):
 *   P persons / groups / orgs          hash id → JSON (persons without their groups)
 *   P person-ids / group-ids / org-ids sorted set of ids (score 0: ordered by id, paged with ZRANGEBYLEX)
 *   P usernames / groupnames           hash userName / displayName → id
 *   P pg:{person}                      set of the person's group ids
 *   P gm:{group}, P om:{org}           sorted set of member ids (score 0)
 *   P oc:{org}                         set of child organisation ids
 * Every write is one script: checks (mode, limit, names, references) first, then changes, so a
 * refused write changes nothing. The scripts compute keys from P (one Redis, not Redis Cluster)
 * and never encode JSON (Lua's cjson writes an empty list as an object): documents come from TS.
 */

// ARGV: P, id, doc, userName|'', groups JSON, organisation|'', mode, maxPersons
const WRITE_PERSON = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'persons', id)
local mode = ARGV[7]
if old and mode == 'create' then return {'exists'} end
if (not old) and mode == 'replace' then return {'missing'} end
if (not old) and redis.call('HLEN', P..'persons') >= tonumber(ARGV[8]) then return {'full'} end
local uname = ARGV[4]
if uname ~= '' then
  local owner = redis.call('HGET', P..'usernames', uname)
  if owner and owner ~= id then return {'name-taken', owner} end
end
local groups = cjson.decode(ARGV[5])
for _, g in ipairs(groups) do
  if redis.call('HEXISTS', P..'groups', g) == 0 then return {'no-group', g} end
end
local org = ARGV[6]
if org ~= '' and redis.call('HEXISTS', P..'orgs', org) == 0 then return {'no-org', org} end
if old then
  local o = cjson.decode(old)
  if type(o.userName) == 'string' then redis.call('HDEL', P..'usernames', o.userName) end
  if type(o.organisation) == 'string' then redis.call('ZREM', P..'om:'..o.organisation, id) end
end
for _, g in ipairs(redis.call('SMEMBERS', P..'pg:'..id)) do redis.call('ZREM', P..'gm:'..g, id) end
redis.call('DEL', P..'pg:'..id)
for _, g in ipairs(groups) do
  redis.call('SADD', P..'pg:'..id, g)
  redis.call('ZADD', P..'gm:'..g, 0, id)
end
if uname ~= '' then redis.call('HSET', P..'usernames', uname, id) end
if org ~= '' then redis.call('ZADD', P..'om:'..org, 0, id) end
redis.call('HSET', P..'persons', id, ARGV[3])
redis.call('ZADD', P..'person-ids', 0, id)
if old then return {'replaced', old} end
return {'created'}`);

// ARGV: P, id   Returns the old document, or false.
const REMOVE_PERSON = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'persons', id)
if not old then return false end
local o = cjson.decode(old)
if type(o.userName) == 'string' then redis.call('HDEL', P..'usernames', o.userName) end
if type(o.organisation) == 'string' then redis.call('ZREM', P..'om:'..o.organisation, id) end
for _, g in ipairs(redis.call('SMEMBERS', P..'pg:'..id)) do redis.call('ZREM', P..'gm:'..g, id) end
redis.call('DEL', P..'pg:'..id)
redis.call('HDEL', P..'persons', id)
redis.call('ZREM', P..'person-ids', id)
return old`);

// ARGV: P, id, doc, name|'', mode, maxGroups
const WRITE_GROUP = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'groups', id)
local mode = ARGV[5]
if old and mode == 'create' then return {'exists'} end
if (not old) and mode == 'replace' then return {'missing'} end
if (not old) and redis.call('HLEN', P..'groups') >= tonumber(ARGV[6]) then return {'full'} end
local name = ARGV[4]
if name ~= '' then
  local owner = redis.call('HGET', P..'groupnames', name)
  if owner and owner ~= id then return {'name-taken', owner} end
end
if old then
  local o = cjson.decode(old)
  if type(o.name) == 'string' then redis.call('HDEL', P..'groupnames', o.name) end
end
if name ~= '' then redis.call('HSET', P..'groupnames', name, id) end
redis.call('HSET', P..'groups', id, ARGV[3])
redis.call('ZADD', P..'group-ids', 0, id)
if old then return {'replaced', old} end
return {'created'}`);

// ARGV: P, id   Returns the old document, or false.
const REMOVE_GROUP = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'groups', id)
if not old then return false end
for _, m in ipairs(redis.call('ZRANGE', P..'gm:'..id, 0, -1)) do redis.call('SREM', P..'pg:'..m, id) end
redis.call('DEL', P..'gm:'..id)
local o = cjson.decode(old)
if type(o.name) == 'string' then redis.call('HDEL', P..'groupnames', o.name) end
redis.call('HDEL', P..'groups', id)
redis.call('ZREM', P..'group-ids', id)
return old`);

// ARGV: P, group, add JSON, remove JSON, replace '1'|'0', maxGroupsPerPerson
const WRITE_MEMBERS = new LuaScript(`
local P, gid = ARGV[1], ARGV[2]
if redis.call('HEXISTS', P..'groups', gid) == 0 then return {'missing'} end
local add, remove = cjson.decode(ARGV[3]), cjson.decode(ARGV[4])
local max = tonumber(ARGV[6])
for _, m in ipairs(add) do
  if redis.call('HEXISTS', P..'persons', m) == 0 then return {'no-person', m} end
  if redis.call('SISMEMBER', P..'pg:'..m, gid) == 0 and redis.call('SCARD', P..'pg:'..m) >= max then return {'too-many-groups', m} end
end
if ARGV[5] == '1' then
  for _, m in ipairs(redis.call('ZRANGE', P..'gm:'..gid, 0, -1)) do redis.call('SREM', P..'pg:'..m, gid) end
  redis.call('DEL', P..'gm:'..gid)
end
for _, m in ipairs(remove) do
  redis.call('SREM', P..'pg:'..m, gid)
  redis.call('ZREM', P..'gm:'..gid, m)
end
for _, m in ipairs(add) do
  redis.call('SADD', P..'pg:'..m, gid)
  redis.call('ZADD', P..'gm:'..gid, 0, m)
end
return {'done'}`);

// ARGV: P, id, doc, parent|'', head|'', mode, maxOrgs, maxDepth
const WRITE_ORG = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'orgs', id)
local mode = ARGV[6]
if old and mode == 'create' then return {'exists'} end
if (not old) and mode == 'replace' then return {'missing'} end
if (not old) and redis.call('HLEN', P..'orgs') >= tonumber(ARGV[7]) then return {'full'} end
local parent = ARGV[4]
if parent ~= '' then
  if redis.call('HEXISTS', P..'orgs', parent) == 0 then return {'no-parent', parent} end
  local cur, depth, max = parent, 1, tonumber(ARGV[8])
  while cur do
    if cur == id then return {'cycle'} end
    depth = depth + 1
    if depth > max then return {'too-deep'} end
    local doc = redis.call('HGET', P..'orgs', cur)
    if not doc then break end
    local p = cjson.decode(doc).parent
    if type(p) == 'string' then cur = p else cur = nil end
  end
end
local head = ARGV[5]
if head ~= '' and redis.call('HEXISTS', P..'persons', head) == 0 then return {'no-head', head} end
if old then
  local o = cjson.decode(old)
  if type(o.parent) == 'string' then redis.call('SREM', P..'oc:'..o.parent, id) end
end
if parent ~= '' then redis.call('SADD', P..'oc:'..parent, id) end
redis.call('HSET', P..'orgs', id, ARGV[3])
redis.call('ZADD', P..'org-ids', 0, id)
if old then return {'replaced', old} end
return {'created'}`);

// ARGV: P, id   Returns {'removed', old}, a refusal, or false.
const REMOVE_ORG = new LuaScript(`
local P, id = ARGV[1], ARGV[2]
local old = redis.call('HGET', P..'orgs', id)
if not old then return false end
if redis.call('ZCARD', P..'om:'..id) > 0 then return {'has-members'} end
if redis.call('SCARD', P..'oc:'..id) > 0 then return {'has-children'} end
local o = cjson.decode(old)
if type(o.parent) == 'string' then redis.call('SREM', P..'oc:'..o.parent, id) end
redis.call('HDEL', P..'orgs', id)
redis.call('ZREM', P..'org-ids', id)
return {'removed', old}`);

type Reply = [string, string?] | null;

function refusal(r: Reply): Refusal | undefined {
  if (!r) return undefined;
  const [what, ref] = r;
  switch (what) {
    case 'exists':
    case 'missing':
    case 'full':
    case 'cycle':
    case 'too-deep':
    case 'has-members':
    case 'has-children':
      return { refused: what };
    case 'name-taken':
      return { refused: what, owner: ref as string };
    case 'no-group':
    case 'no-org':
    case 'no-person':
    case 'no-parent':
    case 'no-head':
    case 'too-many-groups':
      return { refused: what, ref: ref as string };
    default:
      return undefined;
  }
}

function written<T>(r: Reply): Written<T> | Refusal {
  const refused = refusal(r);
  if (refused) return refused;
  const [what, old] = r as [string, string?];
  return what === 'replaced' ? { created: false, previous: JSON.parse(old as string) as T } : { created: true };
}

const withoutGroups = ({ groups: _groups, ...rest }: DirectoryPerson): DirectoryPerson => rest;

/**
 * The people directory on Redis, shared by every workflow instance (see the key layout above).
 * Writes are single Lua scripts; reads are plain hash and sorted-set reads.
 */
export class RedisDirectory extends DirectoryBase {
  readonly #redis: Redis;
  readonly #keys: WorkflowKeys;

  /**
   * @param redis a connected client (see `connectWorkflowRedis`); not closed by the directory
   * @param keys key layout (default prefix `sluice:wf:`)
   */
  constructor(redis: Redis, keys: WorkflowKeys = new WorkflowKeys()) {
    super();
    this.#redis = redis;
    this.#keys = keys;
  }

  #p(tenant: string): string {
    return this.#keys.directory(tenant);
  }

  async #run(script: LuaScript, what: string, args: (string | number)[]): Promise<unknown> {
    return guard(what, () => script.run(this.#redis, [], args));
  }

  protected async readPersons(tenant: string, ids: readonly string[]): Promise<(DirectoryPerson | undefined)[]> {
    if (ids.length === 0) return [];
    const P = this.#p(tenant);
    const [docs, groups] = await guard('read persons', () =>
      Promise.all([this.#redis.hmget(`${P}persons`, ...ids), Promise.all(ids.map((id) => this.#redis.smembers(`${P}pg:${id}`)))]),
    );
    return docs.map((doc, i) => {
      if (doc === null) return undefined;
      const p = JSON.parse(doc) as DirectoryPerson;
      const g = (groups[i] ?? []).sort();
      return g.length > 0 ? { ...p, groups: g } : p;
    });
  }

  async #read<T>(tenant: string, hash: string, ids: readonly string[]): Promise<(T | undefined)[]> {
    if (ids.length === 0) return [];
    const docs = await guard('read the directory', () => this.#redis.hmget(`${this.#p(tenant)}${hash}`, ...ids));
    return docs.map((d) => (d === null ? undefined : (JSON.parse(d) as T)));
  }

  protected readGroups(tenant: string, ids: readonly string[]): Promise<(DirectoryGroup | undefined)[]> {
    return this.#read(tenant, 'groups', ids);
  }

  protected readOrgs(tenant: string, ids: readonly string[]): Promise<(DirectoryOrg | undefined)[]> {
    return this.#read(tenant, 'orgs', ids);
  }

  protected async idByName(tenant: string, kind: 'person' | 'group', name: string): Promise<string | undefined> {
    const id = await guard('read the directory', () =>
      this.#redis.hget(`${this.#p(tenant)}${kind === 'person' ? 'usernames' : 'groupnames'}`, name),
    );
    return id ?? undefined;
  }

  protected async listIds(
    tenant: string,
    list: DirectoryList,
    after: string | undefined,
    limit: number,
  ): Promise<{ ids: string[]; total: number }> {
    const P = this.#p(tenant);
    const key =
      list.of === 'persons'
        ? `${P}person-ids`
        : list.of === 'groups'
          ? `${P}group-ids`
          : list.of === 'orgs'
            ? `${P}org-ids`
            : `${P}${list.of === 'group-members' ? 'gm' : 'om'}:${(list as { id: string }).id}`;
    const [ids, total] = await guard('list the directory', () =>
      Promise.all([this.#redis.zrangebylex(key, after === undefined ? '-' : `(${after}`, '+', 'LIMIT', 0, limit), this.#redis.zcard(key)]),
    );
    return { ids, total };
  }

  protected async writePerson(tenant: string, person: DirectoryPerson, mode: WriteMode): Promise<Written<DirectoryPerson> | Refusal> {
    const r = (await this.#run(WRITE_PERSON, 'write a person', [
      this.#p(tenant),
      person.id,
      JSON.stringify(withoutGroups(person)),
      person.userName ?? '',
      JSON.stringify(person.groups ?? []),
      person.organisation ?? '',
      mode,
      L.maxPersons,
    ])) as Reply;
    return written<DirectoryPerson>(r);
  }

  protected async removePerson(tenant: string, id: string): Promise<DirectoryPerson | undefined> {
    const old = (await this.#run(REMOVE_PERSON, 'delete a person', [this.#p(tenant), id])) as string | null;
    return old ? (JSON.parse(old) as DirectoryPerson) : undefined;
  }

  protected async writeGroup(tenant: string, group: DirectoryGroup, mode: WriteMode): Promise<Written<DirectoryGroup> | Refusal> {
    const r = (await this.#run(WRITE_GROUP, 'write a group', [
      this.#p(tenant),
      group.id,
      JSON.stringify(group),
      group.name ?? '',
      mode,
      L.maxGroups,
    ])) as Reply;
    return written<DirectoryGroup>(r);
  }

  protected async removeGroup(tenant: string, id: string): Promise<DirectoryGroup | undefined> {
    const old = (await this.#run(REMOVE_GROUP, 'delete a group', [this.#p(tenant), id])) as string | null;
    return old ? (JSON.parse(old) as DirectoryGroup) : undefined;
  }

  protected async writeMembers(tenant: string, groupId: string, change: MemberChange): Promise<{ done: true } | Refusal> {
    const r = (await this.#run(WRITE_MEMBERS, 'change group members', [
      this.#p(tenant),
      groupId,
      JSON.stringify(change.add ?? []),
      JSON.stringify(change.remove ?? []),
      change.replace ? '1' : '0',
      L.maxGroupsPerPerson,
    ])) as Reply;
    return refusal(r) ?? { done: true };
  }

  protected async writeOrg(tenant: string, org: DirectoryOrg, mode: WriteMode): Promise<Written<DirectoryOrg> | Refusal> {
    const r = (await this.#run(WRITE_ORG, 'write an organisation', [
      this.#p(tenant),
      org.id,
      JSON.stringify(org),
      org.parent ?? '',
      org.head ?? '',
      mode,
      L.maxOrgs,
      L.maxOrgDepth,
    ])) as Reply;
    return written<DirectoryOrg>(r);
  }

  protected async removeOrg(tenant: string, id: string): Promise<DirectoryOrg | Refusal | undefined> {
    const r = (await this.#run(REMOVE_ORG, 'delete an organisation', [this.#p(tenant), id])) as Reply;
    if (!r) return undefined;
    return refusal(r) ?? (JSON.parse(r[1] as string) as DirectoryOrg);
  }
}
