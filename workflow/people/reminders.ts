import type { Contact, ContactChannel } from './ports.js';
import { DEFAULT_REMIND, type ReminderStep } from './spec.js';

/**
 * The channels to remind a person on, in order, each one they have an address for: the spec's
 * reminder method with `preferred` replaced by the person's own order of preference. Alert
 * delivery tries them down the list until one delivers.
 *
 * @example reminderChannels({ personId: 'ann', addresses: { email: 'a@x', wecom: 'ann' }, preferred: ['wecom'] }, ['preferred', 'sms', 'email']) // ['wecom', 'email']
 */
export function reminderChannels(contact: Contact, remind: readonly ReminderStep[] = DEFAULT_REMIND): ContactChannel[] {
  const out: ContactChannel[] = [];
  for (const step of remind) {
    for (const channel of step === 'preferred' ? (contact.preferred ?? []) : [step]) {
      if (contact.addresses[channel] !== undefined && !out.includes(channel)) out.push(channel);
    }
  }
  return out;
}
