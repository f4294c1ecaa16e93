import { RE2JS } from 're2js';
import type { TriggerDoc } from './document.js';
import { compileExpression, evaluateCondition, type CompiledExpression } from './expression.js';
import type { IssueList } from './issues.js';

/** What is known about a contact when a ticket is to be opened for it. */
export interface TriggerInput {
  /** Intent recognised by the smart IVR or bot, e.g. `fee_reduction`. */
  readonly intent?: string;
  /** IVR menu steps the caller went through, in order. */
  readonly trajectory?: readonly string[];
  /** Diversion channel chosen by the control loop (`callback`, `chat`, …). */
  readonly diversion?: string;
  /** Business fields collected so far (for `when`). */
  readonly fields?: Readonly<Record<string, unknown>>;
}

/** A trigger ready to match. */
export interface CompiledTrigger {
  /** Intents that match (any of). */
  readonly intents?: readonly string[];
  /** IVR path pattern. */
  readonly trajectory?: readonly string[];
  /** Diversion channels that match (any of). */
  readonly diversions?: readonly string[];
  /** Condition over the collected fields. */
  readonly when?: CompiledExpression;
  /** Higher wins. */
  readonly priority: number;
  /** Criteria given plus literal IVR steps: breaks priority ties toward the narrower trigger. */
  readonly specificity: number;
}

const list = (v: string | readonly string[] | undefined): readonly string[] | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? [v] : v;

const stepRegex = new Map<string, RE2JS>();
/** Step patterns from every deployed flow share this cache: cleared when full, not grown without end. */
const STEP_CACHE_LIMIT = 1_000;
/**
 * One IVR step against a pattern with `*` wildcards, on RE2: `a*a*a*…b` against a long step
 * would backtrack for minutes in a JavaScript RegExp.
 */
function stepMatches(pattern: string, step: string): boolean {
  if (pattern === '*') return true;
  let re = stepRegex.get(pattern);
  if (!re) {
    re = RE2JS.compile(
      `^${pattern
        .split('*')
        .map((s) => RE2JS.quote(s))
        .join('.*')}$`,
      RE2JS.DOTALL,
    );
    if (stepRegex.size >= STEP_CACHE_LIMIT) stepRegex.clear();
    stepRegex.set(pattern, re);
  }
  return re.testExact(step);
}

/**
 * Matches a whole IVR trajectory against a pattern: `**` spans any number of steps (also
 * none), `*` exactly one, and `*` inside a step name any characters.
 *
 * @example matchTrajectory(['main', '**', 'fee-*'], ['main', 'billing', 'fee-dispute']) // true
 */
export function matchTrajectory(pattern: readonly string[], steps: readonly string[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const k = i * (steps.length + 1) + j;
    const hit = memo.get(k);
    if (hit !== undefined) return hit;
    const p = pattern[i];
    let r: boolean;
    if (p === undefined) r = j === steps.length;
    else if (p === '**') r = go(i + 1, j) || (j < steps.length && go(i, j + 1));
    else r = j < steps.length && stepMatches(p, steps[j] as string) && go(i + 1, j + 1);
    memo.set(k, r);
    return r;
  };
  return go(0, 0);
}

/** Checks and compiles a flow's triggers; `base` is the path of the list. */
export function compileTriggers(docs: readonly TriggerDoc[] | undefined, base: string, issues: IssueList): CompiledTrigger[] {
  const out: CompiledTrigger[] = [];
  (docs ?? []).forEach((d, i) => {
    const path = `${base}[${i}]`;
    if (d.intent === undefined && d.trajectory === undefined && d.diversion === undefined && d.when === undefined) {
      issues.add(path, 'a trigger needs at least one of intent, trajectory, diversion, when');
      return;
    }
    const whenSource = d.when;
    const when =
      whenSource === undefined
        ? undefined
        : issues.capture(`${path}.when`, () => compileExpression(whenSource, 'condition', `${path}.when`));
    if (whenSource !== undefined && !when) return;
    const intents = list(d.intent);
    const diversions = list(d.diversion);
    const literal = (d.trajectory ?? []).filter((s) => !s.includes('*')).length;
    const specificity = [intents, d.trajectory, diversions, when].filter((x) => x !== undefined).length * 100 + literal;
    out.push({
      priority: d.priority ?? 0,
      specificity,
      ...(intents && { intents }),
      ...(d.trajectory && { trajectory: d.trajectory }),
      ...(diversions && { diversions }),
      ...(when && { when }),
    });
  });
  return out;
}

/** True when every criterion of the trigger holds; a `when` that cannot be evaluated (missing field) does not match. */
export function triggerMatches(t: CompiledTrigger, input: TriggerInput): boolean {
  if (t.intents && (input.intent === undefined || !t.intents.includes(input.intent))) return false;
  if (t.diversions && (input.diversion === undefined || !t.diversions.includes(input.diversion))) return false;
  if (t.trajectory && (input.trajectory === undefined || !matchTrajectory(t.trajectory, input.trajectory))) return false;
  if (t.when) {
    try {
      return evaluateCondition(t.when, { fields: input.fields ?? {}, ticket: {} }, 'trigger');
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Picks the flow whose best matching trigger ranks highest (priority, then specificity,
 * then flow id for a stable answer).
 */
export function selectFlow<F extends { readonly id: string; readonly triggers: readonly CompiledTrigger[] }>(
  flows: readonly F[],
  input: TriggerInput,
): F | undefined {
  let best: { flow: F; priority: number; specificity: number } | undefined;
  for (const flow of flows) {
    for (const t of flow.triggers) {
      if (!triggerMatches(t, input)) continue;
      const better =
        !best ||
        t.priority > best.priority ||
        (t.priority === best.priority &&
          (t.specificity > best.specificity || (t.specificity === best.specificity && flow.id < best.flow.id)));
      if (better) best = { flow, priority: t.priority, specificity: t.specificity };
    }
  }
  return best?.flow;
}
