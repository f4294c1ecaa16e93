import type { Person } from './assignment.js';

/**
 * A reference to people: one user, a group, an organisation's members, an organisation's head
 * (`head`, id = organisation id) or a person's manager (`manager`, id = that person's id).
 */
export interface PrincipalRef {
  readonly kind: 'user' | 'group' | 'organisation' | 'head' | 'manager';
  readonly id: string;
}

/** Who belongs where. Implemented over the tenant's user directory (or config). */
export interface PeopleDirectory {
  /** People a ref stands for, in the tenant; an unknown user id yields that user alone, an unknown group nobody. */
  resolve(tenant: string, ref: PrincipalRef): Promise<Person[]>;
}

/** How busy people are. */
export interface WorkloadSource {
  /** Open todos per user id in the tenant (users with none may be left out). */
  openTodoCounts(tenant: string, userIds: readonly string[]): Promise<Map<string, number>>;
}

/** Shared round-robin position per pool, so instances take turns fairly (Redis `INCR`). */
export interface RoundRobinCounter {
  /** Returns the pool's counter and advances it by one. */
  next(tenant: string, poolKey: string): Promise<number>;
}

/** The ways an alert reaches a person. `voice` is a phone call; `wecom` a WeChat Work application message. */
export type ContactChannel = 'email' | 'sms' | 'voice' | 'wecom' | 'webhook';

/** A person as alert delivery needs them: who, in which language, and where. */
export interface Contact {
  /** Person id in the tenant's directory (the same id an actor `user:<id>` carries). */
  readonly personId: string;
  /** Display name, for salutations and history. */
  readonly name?: string;
  /** BCP 47 language tag for templates (`en`, `zh-CN`); the tenant's default when absent. */
  readonly language?: string;
  /** Address per channel: e-mail address, E.164 phone number (sms and voice), WeChat Work user id, webhook URL. */
  readonly addresses: Readonly<Partial<Record<ContactChannel, string>>>;
  /** Channels in the person's order of preference, for reminders sent on "the preferred channel". */
  readonly preferred?: readonly ContactChannel[];
}

/** Facts a recipient ref may depend on (`manager:` of the ticket's creator, a ticket field). */
export interface RecipientContext {
  /** Actor that opened the ticket (`user:ann`, `system:ivr`, …). */
  readonly creator?: string;
  /** The ticket's business fields. */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** Person who last decided a todo of each node (`manager:decider:<nodeId>`); see `decidersOf` in `people/refs.ts`. */
  readonly deciders?: Readonly<Record<string, string>>;
}

/**
 * Who is behind the recipient refs of a warning or a centre alert (`user:ann`, `group:billing-supervisors`, an
 * organisation role such as the manager of the ticket's creator), with their addresses. Implemented by the
 * people directory (memory and Redis); alert delivery reads nothing else about people.
 */
export interface ContactDirectory {
  /** People the refs stand for, each once, in the tenant; refs naming nobody add nobody. */
  contacts(tenant: string, refs: readonly string[], context?: RecipientContext): Promise<Contact[]>;
}
