/**
 * People refs: the strings flows, people expressions and warning recipients use to name people.
 *
 * | ref | stands for |
 * | --- | --- |
 * | `user:<id>` (or a bare `<id>`) | that person |
 * | `group:<id>` | the group's members |
 * | `organisation:<id>` | the organisation's members (its own, not its sub-organisations') |
 * | `head:<orgId>` | the organisation's head (its department head) |
 * | `manager:<personId>` | the person's manager: their explicit manager, else the head of their organisation, else (when they head it) of the parent organisation, up the tree |
 * | `manager:creator` | the manager of the person who opened the ticket |
 * | `manager:decider:<nodeId>` | the manager of the person who last decided a todo of that node on the ticket |
 * | `role:<role>` | nobody in the directory (API roles belong to keys; a flow permission, not a person) |
 */
import { DIRECTORY_ID_PATTERN } from './limits.js';

/** A people ref parsed. `manager` refs keep their subject: a person id, `creator` or `decider:<nodeId>`. */
export type PeopleRef =
  | { readonly kind: 'user' | 'group' | 'organisation' | 'head' | 'role'; readonly id: string }
  | { readonly kind: 'manager'; readonly subject: ManagerSubject };

/** Whose manager a `manager:` ref means. */
export type ManagerSubject =
  | { readonly of: 'person'; readonly id: string }
  | { readonly of: 'creator' }
  | { readonly of: 'decider'; readonly nodeId: string };

const ID = new RegExp(DIRECTORY_ID_PATTERN);
const NODE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/**
 * Parses a people ref; undefined when it is malformed (an unknown kind, a bad id).
 *
 * @example parsePeopleRef('manager:decider:level1') // { kind: 'manager', subject: { of: 'decider', nodeId: 'level1' } }
 */
export function parsePeopleRef(ref: string): PeopleRef | undefined {
  const colon = ref.indexOf(':');
  if (colon < 0) return ID.test(ref) ? { kind: 'user', id: ref } : undefined;
  const kind = ref.slice(0, colon);
  const rest = ref.slice(colon + 1);
  switch (kind) {
    case 'user':
    case 'group':
    case 'organisation':
    case 'head':
      return ID.test(rest) ? { kind, id: rest } : undefined;
    case 'role':
      return rest.length > 0 ? { kind, id: rest } : undefined;
    case 'manager': {
      const subject = parseManagerSubject(rest);
      return subject && { kind, subject };
    }
    default:
      return undefined;
  }
}

/** Parses what follows `manager:`: `creator`, `decider:<nodeId>` or a person id; undefined when malformed. */
export function parseManagerSubject(text: string): ManagerSubject | undefined {
  if (text === 'creator') return { of: 'creator' };
  if (text.startsWith('decider:')) {
    const nodeId = text.slice('decider:'.length);
    return NODE_ID.test(nodeId) ? { of: 'decider', nodeId } : undefined;
  }
  return ID.test(text) ? { of: 'person', id: text } : undefined;
}

/** The rule a malformed ref broke, for compile-time issues and expression errors. */
export const PEOPLE_REF_RULE =
  'a people ref is user:<id>, group:<id>, organisation:<id>, head:<orgId>, manager:<personId>, manager:creator, manager:decider:<nodeId>, role:<role> or a bare person id';

/** What a `manager:creator` or `manager:decider:` ref depends on. */
export interface SubjectContext {
  /** Actor that opened the ticket (`ann`, `user:ann`, `system:ivr`, `key:…`). */
  readonly creator?: string;
  /** Person who last decided a todo, per node id. */
  readonly deciders?: Readonly<Record<string, string>>;
}

/** The person id of an actor id, or undefined for system and key actors. */
export function personOfActor(actor: string | undefined): string | undefined {
  if (actor === undefined) return undefined;
  const id = actor.startsWith('user:') ? actor.slice(5) : actor;
  return ID.test(id) ? id : undefined;
}

/** The person a manager subject names in a context; undefined when nobody (an IVR-opened ticket, a node nobody decided). */
export function subjectPerson(subject: ManagerSubject, context: SubjectContext | undefined): string | undefined {
  switch (subject.of) {
    case 'person':
      return subject.id;
    case 'creator':
      return personOfActor(context?.creator);
    case 'decider':
      return personOfActor(context?.deciders?.[subject.nodeId]);
  }
}
