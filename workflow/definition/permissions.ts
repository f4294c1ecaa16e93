import type { PermissionsDoc } from './document.js';

/** Who performs an action: a person (with memberships) or a system component (control loop, IVR, timers). */
export interface Actor {
  /** User id, or the component's name for system actors. */
  readonly id: string;
  /** `system` actors (control loop, IVR bridge) pass every permission check (default `user`). */
  readonly kind?: 'user' | 'system';
  /** Groups the user belongs to (matched by `group:` refs). */
  readonly groups?: readonly string[];
  /** Roles the user holds (matched by `role:` refs). */
  readonly roles?: readonly string[];
  /** Organisation of the user (matched by `organisation:` refs). */
  readonly organisation?: string;
}

/** A flow-level permission. */
export type FlowPermission = 'start' | 'view' | 'admin';

/** A flow's permissions with defaults filled in. */
export type FlowPermissions = Readonly<Record<FlowPermission, readonly string[]>>;

/** Fills defaults: anyone may start and view; only system actors administer. */
export function resolvePermissions(doc: PermissionsDoc | undefined): FlowPermissions {
  return { start: doc?.start ?? ['*'], view: doc?.view ?? ['*'], admin: doc?.admin ?? ['system'] };
}

/** True when a principal ref (`*`, `system`, `user:x`, `group:x`, `role:x`, `organisation:x`) covers the actor. */
export function covers(ref: string, actor: Actor): boolean {
  if (ref === '*') return true;
  if (ref === 'system') return actor.kind === 'system';
  const sep = ref.indexOf(':');
  const kind = ref.slice(0, sep);
  const id = ref.slice(sep + 1);
  switch (kind) {
    case 'user':
      return actor.id === id;
    case 'group':
      return actor.groups?.includes(id) ?? false;
    case 'role':
      return actor.roles?.includes(id) ?? false;
    case 'organisation':
      return actor.organisation === id;
    default:
      return false;
  }
}

/** True when the actor holds the permission (system actors hold every one; admins also hold `start` and `view`). */
export function allows(perms: FlowPermissions, actor: Actor, what: FlowPermission): boolean {
  if (actor.kind === 'system') return true;
  const refs = what === 'admin' ? perms.admin : [...perms[what], ...perms.admin];
  return refs.some((r) => covers(r, actor));
}
