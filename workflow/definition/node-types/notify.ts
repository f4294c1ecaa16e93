import { CHANNELS, type ChannelName } from '../../sla/policy.js';
import { defineNodeType, type NotificationSpec } from '../node-type.js';

/**
 * Sends one message on entry (through the same channels and exactly-once delivery as SLA
 * warnings) and leaves at once with outcome `next`.
 *
 * @example
 * { id: tell-customer, type: notify, channel: sms, notify: ['user:customer'], message: 'Your request was approved' }
 */
export const notifyNode = defineNodeType<NotificationSpec>({
  type: 'notify',
  description: 'sends a message and moves on',
  behaviour: 'auto',
  properties: {
    channel: { enum: CHANNELS },
    notify: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^((user|group|role|organisation):.+|customer)$' } },
    message: { type: 'string', minLength: 1 },
  },
  required: ['channel', 'notify', 'message'],
  todoActions: [],
  compile: (node) => ({ channel: node.channel as ChannelName, notify: [...(node.notify as string[])], message: node.message as string }),
  outcomes: () => ['next'],
  enter: (c) => ({ notifications: [c], outcome: 'next' }),
});
