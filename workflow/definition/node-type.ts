import type { ValidateFunction } from 'ajv';
import { workflowError } from '../errors.js';
import type { PeopleSpec } from '../people/spec.js';
import type { ChannelName } from '../sla/policy.js';
import type { NodeDoc } from './document.js';
import type { IssueList } from './issues.js';
import { ajv, baseNodeProperties } from './schema.js';

/**
 * How the engine treats a node: `start` and `auto` nodes leave at once, `wait` nodes open
 * todos and wait for people (and may carry an SLA), `end` nodes close the ticket.
 */
export type NodeBehaviour = 'start' | 'wait' | 'auto' | 'end';

/** A todo a node opens on entry. */
export interface TodoSpec {
  /** `approval` todos take approve/reject; `task` todos take complete. */
  readonly kind: 'approval' | 'task';
  /** What the assignee is asked to do. */
  readonly title: string;
  /** Who it goes to. */
  readonly people: PeopleSpec;
}

/** A message a node sends on entry. */
export interface NotificationSpec {
  readonly channel: ChannelName;
  /** Recipients as principal refs. */
  readonly notify: readonly string[];
  readonly message: string;
}

/** What entering a node produces. */
export interface NodeEntry {
  readonly todos?: readonly TodoSpec[];
  readonly notifications?: readonly NotificationSpec[];
  /** For `start`/`auto` nodes: the outcome to leave with at once. */
  readonly outcome?: string;
  /** For `end` nodes: the ticket's final result (default: the outcome that led here). */
  readonly result?: string;
}

/** The state of a todo as a node's `decide` sees it. */
export interface TodoState {
  readonly kind: 'approval' | 'task';
  readonly status: 'open' | 'done' | 'cancelled';
  readonly decision?: 'approved' | 'rejected' | 'completed';
}

/** Where a node's compile step reports. */
export interface CompileContext {
  /** Path of the node, e.g. `nodes[2]`. */
  readonly path: string;
  readonly issues: IssueList;
}

/**
 * A kind of node. Adding one is one file: define it with {@link defineNodeType} and
 * register it (`defaultNodeTypes().register(myType)`).
 *
 * @typeParam C the node's compiled configuration (plain data)
 */
export interface NodeType<C = unknown> {
  /** Name used as `type:` in definitions. */
  readonly type: string;
  /** One line for docs and error messages. */
  readonly description: string;
  readonly behaviour: NodeBehaviour;
  /** JSON-schema properties besides the base ones (`id`, `type`, `name`, `description`, `sla`); no others are accepted. */
  readonly properties: Readonly<Record<string, object>>;
  /** Required type-specific properties. */
  readonly required?: readonly string[];
  /** Todo actions accepted while a ticket waits here. */
  readonly todoActions: readonly ('approve' | 'reject' | 'complete')[];
  /** Checks and compiles the node after its shape passed; undefined after recording issues. */
  compile(node: NodeDoc, ctx: CompileContext): C | undefined;
  /** Outcomes the node leaves with; every one needs a control. */
  outcomes(config: C): readonly string[];
  /** What entering the node produces. */
  enter(config: C): NodeEntry;
  /** Wait nodes: the outcome once the visit's todos reach one, or undefined to keep waiting. */
  decide?(config: C, todos: readonly TodoState[]): string | undefined;
}

/** Identity helper that infers the config type of a node type. */
export function defineNodeType<C>(type: NodeType<C>): NodeType<C> {
  return type;
}

/** A registered node type with its compiled shape validator. */
export interface RegisteredNodeType {
  readonly type: NodeType<unknown>;
  readonly validate: ValidateFunction;
}

/** Node types by name; each type's schema is compiled once, at registration. */
export class NodeTypeRegistry {
  readonly #types = new Map<string, RegisteredNodeType>();

  /**
   * Adds a node type; returns this registry for chaining.
   *
   * @throws SluiceError `SLUICE_ERR_NODE_TYPE_EXISTS` when the name is taken
   */
  register<C>(type: NodeType<C>): this {
    if (this.#types.has(type.type)) throw workflowError('SLUICE_ERR_NODE_TYPE_EXISTS', `node type "${type.type}" is already registered`);
    const schema = {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'type', ...(type.required ?? [])],
      properties: { ...baseNodeProperties, ...type.properties },
    };
    this.#types.set(type.type, { type: type as NodeType<unknown>, validate: ajv.compile(schema) });
    return this;
  }

  /** The registered type of that name, if any. */
  get(name: string): RegisteredNodeType | undefined {
    return this.#types.get(name);
  }

  /** Registered names, sorted. */
  names(): string[] {
    return [...this.#types.keys()].sort();
  }
}
