/**
 * Bounds of one tenant's people directory. Like `workflow/limits.ts` they are part of the API,
 * not tuning knobs: every instance refuses the same writes, and every walk over the directory
 * (a group's members, the organisation tree, a ticket's candidates) is bounded by them. A write
 * beyond one is refused with a 400 naming the field, or a 409 `SLUICE_ERR_DIRECTORY_FULL` when
 * the tenant already holds the most persons, groups or organisations allowed (README, "people").
 */
export const DIRECTORY_LIMITS = Object.freeze({
  /** Persons of one tenant. */
  maxPersons: 20_000,
  /** Groups of one tenant. */
  maxGroups: 2_000,
  /** Organisations of one tenant. */
  maxOrgs: 2_000,
  /** Groups one person belongs to. */
  maxGroupsPerPerson: 64,
  /** Members one group lists in a write (SCIM `members`; a group never holds more than the tenant's persons). */
  maxMembersPerWrite: 20_000,
  /** Levels of the organisation tree (a walk up to the root stops here). */
  maxOrgDepth: 32,
  /** Characters of a person, group or organisation id (`[A-Za-z0-9][A-Za-z0-9._@-]*`, no `:`); fits a path parameter (fastify `maxParamLength`). */
  maxIdLength: 100,
  /** Characters of a display name, user name, external id, title or attribute value. */
  maxNameLength: 256,
  /** Characters of an e-mail address (RFC 5321). */
  maxEmailLength: 254,
  /** Characters of a webhook URL. */
  maxUrlLength: 2_048,
  /** Skills of one person. */
  maxSkills: 64,
  /** Attributes of one person (`key: value`, both short text). */
  maxAttributes: 32,
  /** Characters of a skill or an attribute key. */
  maxKeyLength: 64,
  /** Highest capacity (open todos) a person may be given. */
  maxCapacity: 10_000,
  /** Items of one page of a list (`limit`, SCIM `count`). */
  maxPageSize: 500,
  /** People one resolution or contact lookup returns (a ref to a larger group yields its first this many by id). */
  maxResolved: 20_000,
});

/**
 * Person, group and organisation ids: letters, digits, `.`, `_`, `@`, `-`, starting with a letter or
 * digit, no `:` (so `manager:decider:level1` can never be a person id), at most 100 characters. The
 * same ids API keys carry as `user`, so an actor `ann` is person `ann`.
 */
export const DIRECTORY_ID_PATTERN = `^[A-Za-z0-9][A-Za-z0-9._@-]{0,${DIRECTORY_LIMITS.maxIdLength - 1}}$`;
