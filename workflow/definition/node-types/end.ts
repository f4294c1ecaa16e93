import { defineNodeType } from '../node-type.js';

/** Compiled configuration of an end node. */
export interface EndConfig {
  /** Fixed result recorded on the ticket; absent = the outcome that led here. */
  readonly result?: string;
}

/** Closes the ticket: todos cancelled, SLA timing stopped, no more actions. */
export const endNode = defineNodeType<EndConfig>({
  type: 'end',
  description: 'closes the ticket and stops SLA timing',
  behaviour: 'end',
  properties: { result: { type: 'string', minLength: 1 } },
  todoActions: [],
  compile: (node) => (typeof node.result === 'string' ? { result: node.result } : {}),
  outcomes: () => [],
  enter: (c) => (c.result === undefined ? {} : { result: c.result }),
});
