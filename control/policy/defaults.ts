/**
 * The default policy table, matching docs/architecture.md#control-loop:
 *
 * | level | targets (fallback order) | to agents | admission | backup CTI | slowed work | ticket on divert |
 * | --- | --- | --- | --- | --- | --- | --- |
 * | L0 | agent | all | none | standby | no | no |
 * | L1 | agent, smart IVR | vip, high, normal (low → smart IVR) | none | active-active | yes | no |
 * | L2 | agent, chat, callback | vip, high (normal, low → chat or callback) | 20/s, burst 40 | active-active | yes | no |
 * | L3 | agent, keypad IVR | vip, high (all others → keypad IVR) | 10/s, burst 20 | active-active | yes | yes |
 */
import { validatePolicy } from './schema.js';
import type { TenantPolicy } from './schema.js';

/** The default policy, validated and deep-frozen. */
export const DEFAULT_POLICY: TenantPolicy = validatePolicy({
  levels: {
    L0: {
      targets: ['agent'],
      agentPriorities: ['vip', 'high', 'normal', 'low'],
      admission: null,
      backupActive: false,
      slowNonCritical: false,
      ticketOnDivert: false,
    },
    L1: {
      targets: ['agent', 'smart_ivr'],
      agentPriorities: ['vip', 'high', 'normal'],
      admission: null,
      backupActive: true,
      slowNonCritical: true,
      ticketOnDivert: false,
    },
    L2: {
      targets: ['agent', 'chat', 'callback'],
      agentPriorities: ['vip', 'high'],
      admission: { ratePerSec: 20, burst: 40 },
      backupActive: true,
      slowNonCritical: true,
      ticketOnDivert: false,
    },
    L3: {
      targets: ['agent', 'keypad_ivr'],
      agentPriorities: ['vip', 'high'],
      admission: { ratePerSec: 10, burst: 20 },
      backupActive: true,
      slowNonCritical: true,
      ticketOnDivert: true,
    },
  },
});
