import { NodeTypeRegistry } from '../node-type.js';
import { approvalNode } from './approval.js';
import { endNode } from './end.js';
import { notifyNode } from './notify.js';
import { startNode } from './start.js';
import { taskNode } from './task.js';

export { approvalNode, endNode, notifyNode, startNode, taskNode };

/** A fresh registry holding the built-in node types: start, approval, task, notify, end. */
export function defaultNodeTypes(): NodeTypeRegistry {
  return new NodeTypeRegistry().register(startNode).register(approvalNode).register(taskNode).register(notifyNode).register(endNode);
}
