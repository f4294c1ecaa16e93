import { isSluiceError } from '../../core/errors.js';
import { workflowError } from '../errors.js';

/** One reason a definition is refused. */
export interface ValidationIssue {
  /** Where in the document, e.g. `nodes[2].sla.warnings[0].delay`; `''` for the whole flow. */
  readonly path: string;
  /** What is wrong there. */
  readonly message: string;
}

/** Issues kept and reported in full; a hostile document with thousands of faults gets a count for the rest. */
export const MAX_REPORTED_ISSUES = 100;

/** Collects validation issues so one pass reports every problem (the first {@link MAX_REPORTED_ISSUES} in full). */
export class IssueList {
  readonly #issues: ValidationIssue[] = [];
  #more = 0;

  /** Records an issue. */
  add(path: string, message: string): void {
    if (this.#issues.length < MAX_REPORTED_ISSUES) this.#issues.push({ path, message });
    else this.#more++;
  }

  /**
   * Runs `fn`; a workflow error it throws becomes an issue (its message split into path and
   * text when it starts with `path`), and `undefined` is returned.
   */
  capture<T>(path: string, fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!isSluiceError(err)) throw err;
      const msg = err.message;
      const sep = msg.indexOf(': ');
      if (msg.startsWith(path) && sep > 0) this.add(msg.slice(0, sep), msg.slice(sep + 2));
      else this.add(path, msg);
      return undefined;
    }
  }

  /** Number of issues so far (reported or only counted). */
  get size(): number {
    return this.#issues.length + this.#more;
  }

  /** The reported issues, in the order found. */
  list(): ValidationIssue[] {
    return [...this.#issues];
  }

  /** Throws `SLUICE_ERR_FLOW_INVALID` listing every issue, if there is any. */
  throwIfAny(subject: string): void {
    if (this.size === 0) return;
    const lines = this.#issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message));
    if (this.#more > 0) lines.push(`and ${this.#more} more issues`);
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${subject} is invalid: ${lines.join('; ')}`, { details: { issues: this.list() } });
  }
}

/** The issues carried by a `SLUICE_ERR_FLOW_INVALID` error (empty for any other error). */
export function issuesOf(err: unknown): ValidationIssue[] {
  if (!isSluiceError(err, 'SLUICE_ERR_FLOW_INVALID')) return [];
  return ((err.details as { issues?: ValidationIssue[] } | undefined)?.issues ?? []).slice();
}
