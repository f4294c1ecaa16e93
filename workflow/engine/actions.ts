import type { Actor } from '../definition/permissions.js';

interface Base {
  /** Who acts. */
  readonly actor: Actor;
}

/** Approve an approval todo (the actor's own, or `todoId`). */
export interface ApproveAction extends Base {
  readonly type: 'approve';
  readonly todoId?: string;
  readonly comment?: string;
}

/** Reject an approval todo; the node leaves with `rejected`. */
export interface RejectAction extends Base {
  readonly type: 'reject';
  readonly todoId?: string;
  readonly comment?: string;
}

/** Complete a task todo, optionally recording fields it produced. */
export interface CompleteAction extends Base {
  readonly type: 'complete';
  readonly todoId?: string;
  readonly fields?: Readonly<Record<string, unknown>>;
  readonly comment?: string;
}

/** Add a note. */
export interface CommentAction extends Base {
  readonly type: 'comment';
  readonly text: string;
}

/** Hand an open todo to another user. */
export interface ReassignAction extends Base {
  readonly type: 'reassign';
  readonly todoId: string;
  /** User id of the new assignee. */
  readonly to: string;
}

/** Put the ticket on hold; the SLA clock stops when the node's policy pauses on `status`. */
export interface PauseAction extends Base {
  readonly type: 'pause';
  /** Hold status, e.g. `waiting_for_customer`. */
  readonly status: string;
}

/** Take the ticket off hold; the SLA clock runs again. */
export interface ResumeAction extends Base {
  readonly type: 'resume';
}

/** Everything people (or systems) can do to a ticket. */
export type Action = ApproveAction | RejectAction | CompleteAction | CommentAction | ReassignAction | PauseAction | ResumeAction;
