import type { Contact, ContactDirectory } from '../../people/ports.js';
import { workflowError } from '../../errors.js';
import type { AlertChannel, DeliveryChannel, SendRequest } from '../types.js';

/**
 * A small in-test twin of the {@link ContactDirectory} port: `user:<id>` and `group:<id>` over fixed data, each
 * person once. (The people directory of issue 17 implements the port for real; this stands in until it lands.)
 */
export function contactsOf(people: readonly Contact[], groups: Readonly<Record<string, readonly string[]>> = {}): ContactDirectory {
  const byId = new Map(people.map((p) => [p.personId, p]));
  return {
    async contacts(_tenant, refs) {
      const ids = refs.flatMap((r) => {
        const [kind, id = ''] = r.split(/:(.*)/s);
        if (kind === 'user') return [id];
        if (kind === 'group') return [...(groups[id] ?? [])];
        return [];
      });
      return [...new Set(ids)].flatMap((id) => {
        const p = byId.get(id);
        return p ? [p] : [];
      });
    },
  };
}

/** A channel that records what it is asked to send, and fails as scripted (`retriable` or not). */
export function recordingChannel(channel: DeliveryChannel): AlertChannel & {
  readonly sent: SendRequest[];
  failNext(retriable: boolean, times?: number): void;
  /** Sends that hang until released (to stop a worker mid-send). */
  hold(): () => void;
} {
  const sent: SendRequest[] = [];
  const failures: boolean[] = [];
  let held: Promise<void> | undefined;
  return {
    channel,
    sent,
    failNext(retriable, times = 1) {
      for (let i = 0; i < times; i++) failures.push(retriable);
    },
    hold() {
      let release!: () => void;
      held = new Promise<void>((r) => (release = r));
      return () => {
        held = undefined;
        release();
      };
    },
    async send(r) {
      if (held) await held;
      const f = failures.shift();
      if (f !== undefined) throw workflowError('SLUICE_ERR_ALERT_SEND_FAILED', `${channel} scripted failure`, { retriable: f });
      sent.push(r);
      return { providerId: `${channel}-${sent.length}` };
    },
  };
}
