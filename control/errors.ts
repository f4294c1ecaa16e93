/**
 * The control room's error codes: each listed once, with its message template (`%s` is the detail),
 * HTTP status and whether retrying can help; the codes shared with other rooms (`SLUICE_ERR_NOT_FOUND`,
 * …) are in `core/errors.ts`. A test checks every `SLUICE_ERR_*` literal used under `control/` is listed
 * here or there. Also the room's option checks, bound to `SLUICE_ERR_CONTROL_CONFIG_INVALID`.
 */
import { defineErrors, type ErrorList } from '../core/errors.js';
import { optionChecks, type OptionChecks } from '../core/options.js';

/** Every error code `control/` throws. */
export const CONTROL_ERRORS = Object.freeze({
  SLUICE_ERR_CONTROL_CONFIG_INVALID: {
    message: 'invalid control configuration: %s',
    status: 400,
    retriable: false,
    description: 'An option of a breaker, level controller, limiter, throttle or pressure model fails validation at construction.',
  },
  SLUICE_ERR_CONTROL_STATE_INVALID: {
    message: 'saved control state cannot be restored: %s',
    status: 400,
    retriable: false,
    description: 'A toJSON() snapshot handed to restore() is malformed or from an unknown version.',
  },
  SLUICE_ERR_CONTROL_OVERRIDE_INVALID: {
    message: 'invalid override: %s',
    status: 400,
    retriable: false,
    description:
      'A forced breaker state or a pinned level has a duration outside (0, max] or an unknown level, or a pin names a new skill group of a tenant that already tracks as many as it may (SLUICE_CONTROL_MAX_SKILL_GROUPS).',
  },
  SLUICE_ERR_POLICY_INVALID: {
    message: 'invalid policy: %s',
    status: 400,
    retriable: false,
    description: 'A tenant policy table fails its JSON schema; the detail names each offending field.',
  },
  SLUICE_ERR_POLICY_VERSION_CONFLICT: {
    message: 'policy version conflict: %s',
    status: 409,
    retriable: true,
    description: 'A policy update named an expected version that is no longer current; re-read and retry.',
  },
  SLUICE_ERR_POLICY_NO_PREVIOUS: {
    message: 'no previous policy version: %s',
    status: 409,
    retriable: false,
    description: 'A rollback was asked for a tenant that has no previous policy version.',
  },
  SLUICE_ERR_CONTROL_SHARED_UNAVAILABLE: {
    message: 'shared control state unavailable: %s',
    status: 503,
    retriable: true,
    description:
      "A change that must reach every control instance (a policy version) could not be made, or the outcome of another control instance's decision could not be recorded, because the shared store (Redis) is unreachable or busy; routing goes on from local state, and outcomes of this instance's own decisions are still taken.",
  },
  SLUICE_ERR_CONTROL_TRUNKS_FULL: {
    message: 'too many trunks: %s',
    status: 409,
    retriable: true,
    description:
      'A trunk utilisation report names a new trunk of a tenant that already has as many trunks reporting as it may (SLUICE_CONTROL_MAX_TRUNKS); a trunk silent for the TTL stops counting.',
  },
  SLUICE_ERR_CONTROL_UNKNOWN_TENANT: {
    message: 'unknown tenant: %s',
    status: 422,
    retriable: false,
    description:
      'A route request names a tenant this deployment does not serve (not in SLUICE_TENANTS, no API key of its own, no policy, never seen in the events): the proxy should take its local fallback and the name be fixed; `field` is `body.tenant`.',
  },
  SLUICE_ERR_CONTROL_UNKNOWN_SKILL_GROUP: {
    message: 'unknown skill group: %s',
    status: 422,
    retriable: false,
    description:
      "A route request names a skill group its tenant does not know (not in the policy's `skillGroups`, never seen in the events) while the policy says `unknownSkillGroups: refuse` (the default); set `tenant-level` to route such calls at the tenant's level instead; `field` is `body.skillGroup`.",
  },
  SLUICE_ERR_CONTROL_REQUEST_INVALID: {
    message: 'invalid request: %s',
    status: 400,
    retriable: false,
    description:
      'A control API request is well-formed JSON but incomplete in a way the schema cannot state (e.g. a platform key that names no tenant where one is needed).',
  },
} as const satisfies ErrorList);

/** A control error code (the room's own; shared codes are in `core/errors.ts`). */
export type ControlErrorCode = keyof typeof CONTROL_ERRORS;

/**
 * An error of the control room: `controlError('SLUICE_ERR_POLICY_INVALID', 'levels.0.enter must be a number')`
 * fills the code's template with the detail; a shared code takes its message whole.
 */
export const controlError = defineErrors('control', CONTROL_ERRORS).error;

/**
 * Validation at the door for control options (`core/options.ts`): each refusal is a
 * `SLUICE_ERR_CONTROL_CONFIG_INVALID` naming the field, the rule and the value.
 */
const checks: OptionChecks = optionChecks((message) => controlError('SLUICE_ERR_CONTROL_CONFIG_INVALID', message));

/** Checks one number against a rule; see {@link OptionChecks.checkNumber}. */
export const checkNumber: OptionChecks['checkNumber'] = checks.checkNumber;
/** Refuses `field`: `${field} must be ${rule} (got …)`. */
export const configError: OptionChecks['refuse'] = checks.refuse;
/** Merges options over defaults, refusing typos and checking numbers; see {@link OptionChecks.resolveConfig}. */
export const resolveConfig: OptionChecks['resolveConfig'] = checks.resolveConfig;
