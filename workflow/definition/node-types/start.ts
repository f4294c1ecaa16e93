import { defineNodeType } from '../node-type.js';

/** Where every ticket begins; leaves at once with outcome `next`. Exactly one per flow. */
export const startNode = defineNodeType<null>({
  type: 'start',
  description: 'entry point; leaves at once with outcome "next"',
  behaviour: 'start',
  properties: {},
  todoActions: [],
  compile: () => null,
  outcomes: () => ['next'],
  enter: () => ({ outcome: 'next' }),
});
