import { Environment } from '@marcbachmann/cel-js';
import type { RE2JS } from 're2js';
import { workflowError } from '../errors.js';
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { expressionCost } from './cel-cost.js';
import { compilePattern, re2Matches, RE2_FUNCTION, rewriteMatches, withPatternBudget } from './cel-re2.js';

/**
 * Ticket fields as CEL sees them: `fields` (the ticket's business data, e.g. `fields.amount`)
 * and `ticket` (id, tenant, flowId, nodeId, state, origin, createdAt in epoch ms).
 * Expressions are CEL (a non-Turing-complete language) parsed and type-checked once at
 * validation, evaluated by the cel-js interpreter: nothing is ever `eval`ed. Each stays within
 * an evaluation budget checked at deploy (see `cel-cost.ts`), and `matches` has RE2 semantics.
 */
export interface ExpressionContext {
  /** The ticket's business fields. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Facts about the ticket itself. */
  readonly ticket: Readonly<Record<string, unknown>>;
}

/** What an expression is for, which fixes the result types it may have. */
export type ExpressionKind = 'condition' | 'people';

/** A parsed and type-checked expression. */
export interface CompiledExpression {
  /** The CEL source text. */
  readonly source: string;
  /** What it is for. */
  readonly kind: ExpressionKind;
  /** Evaluates against a context; throws the interpreter's error unchanged. */
  evaluate(context: ExpressionContext): unknown;
}

const env = new Environment({ limits: { maxAstNodes: 2_000, maxDepth: 50 } })
  .registerVariable('fields', 'map')
  .registerVariable('ticket', 'map')
  .registerFunction(`${RE2_FUNCTION}(string, string): bool`, re2Matches);

const ALLOWED_TYPES: Record<ExpressionKind, (t: string) => boolean> = {
  condition: (t) => t === 'bool' || t === 'dyn',
  people: (t) => t === 'string' || t === 'dyn' || t === 'list' || t.startsWith('list<'),
};

const cache = new Map<string, CompiledExpression>();
const CACHE_LIMIT = 2_000;
/** New expressions the flow being compiled may still compile (see {@link withFlowBudget}). */
let expressionsLeft: number | undefined;

/**
 * Runs `fn`, the compilation of one flow, with its budget: at most `maxFlowExpressions` new
 * expressions (each takes a fraction of a millisecond to parse, check and cost) and
 * `maxFlowPatternProgram` RE2 instructions of new patterns. Expressions and patterns compiled
 * before cost nothing. Keeps one deploy from holding the event loop for seconds.
 */
export function withFlowBudget<T>(fn: () => T): T {
  const outer = expressionsLeft;
  expressionsLeft = L.maxFlowExpressions;
  try {
    return withPatternBudget(L.maxFlowPatternProgram, fn);
  } finally {
    expressionsLeft = outer;
  }
}

/** The RE2 programs each expression uses, held as long as the expression lives (the pattern cache only refers to them weakly). */
const patternsOf = new WeakMap<CompiledExpression, readonly RE2JS[]>();

function firstLine(err: unknown): string {
  return (String((err as Error)?.message ?? err).split('\n')[0] ?? '').replaceAll(RE2_FUNCTION, 'matches');
}

/**
 * Why an expression is too costly or unsupported, or undefined when it is within its budget.
 *
 * @param patterns receives the compiled `matches` patterns
 */
function overBudget(ast: Parameters<typeof expressionCost>[0], patterns: RE2JS[]): string | undefined {
  const { cost, nesting, problems } = expressionCost(ast, (pattern) => {
    const re = compilePattern(pattern);
    patterns.push(re);
    return re.programSize();
  });
  if (problems.length > 0) return problems.join('; ');
  if (nesting > L.maxMacroNesting) return `macros nest ${nesting} deep inside each other (at most ${L.maxMacroNesting})`;
  if (cost > L.maxExpressionCost) {
    const shown = cost >= 1e15 ? cost.toExponential(1) : Math.round(cost).toLocaleString('en-US');
    return `may take ${shown} steps on fields within the limits (at most ${L.maxExpressionCost.toLocaleString('en-US')}): walk fewer lists inside each other, or shorter ones`;
  }
  return undefined;
}

/**
 * Parses and type-checks CEL once. Variables other than `fields` and `ticket` are refused.
 *
 * @param source CEL text, e.g. `fields.amount < 500`
 * @param kind `condition` (must yield bool) or `people` (string or list of strings)
 * @param path where the expression sits in the definition, named in the error
 * @throws SluiceError `SLUICE_ERR_FLOW_INVALID` naming the path and the problem
 */
export function compileExpression(source: string, kind: ExpressionKind, path: string): CompiledExpression {
  const hit = cache.get(`${kind}\u0000${source}`);
  if (hit) return hit;
  if (expressionsLeft !== undefined && expressionsLeft-- <= 0) {
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: the flow has more than ${L.maxFlowExpressions} different expressions`);
  }
  let parsed: ReturnType<Environment['parse']>;
  try {
    parsed = env.parse(source);
  } catch (err) {
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: bad expression \`${source}\`: ${firstLine(err)}`, { cause: err });
  }
  const checked = parsed.check();
  if (!checked.valid) {
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: bad expression \`${source}\`: ${firstLine(checked.error)}`, {
      cause: checked.error,
    });
  }
  const type = checked.type ?? 'dyn';
  if (!ALLOWED_TYPES[kind](type)) {
    const want = kind === 'condition' ? 'bool' : 'string or list of strings';
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: bad expression \`${source}\`: yields ${type}, expected ${want}`);
  }
  const patterns: RE2JS[] = [];
  const refused = overBudget(parsed.ast, patterns);
  if (refused) throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: bad expression \`${source}\`: ${refused}`);
  let run = parsed;
  try {
    const rewritten = rewriteMatches(parsed.ast, (text) => env.parse(text).ast);
    if (rewritten !== undefined) {
      run = env.parse(rewritten);
      const again = run.check();
      if (!again.valid) throw again.error;
    }
  } catch (err) {
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `${path}: bad expression \`${source}\`: ${firstLine(err)}`, { cause: err });
  }
  const compiled: CompiledExpression = { source, kind, evaluate: (context) => run({ fields: context.fields, ticket: context.ticket }) };
  patternsOf.set(compiled, patterns);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(`${kind}\u0000${source}`, compiled);
  return compiled;
}

/**
 * Evaluates a condition to a boolean.
 *
 * @param what names the expression's owner in the error (e.g. `control level1 → manager`)
 * @throws SluiceError `SLUICE_ERR_EXPRESSION_FAILED` when evaluation fails or yields no bool
 */
export function evaluateCondition(expr: CompiledExpression, context: ExpressionContext, what: string): boolean {
  let value: unknown;
  try {
    value = expr.evaluate(context);
  } catch (err) {
    throw workflowError('SLUICE_ERR_EXPRESSION_FAILED', `${what}: \`${expr.source}\` failed: ${firstLine(err)}`, { cause: err });
  }
  if (typeof value !== 'boolean') {
    throw workflowError('SLUICE_ERR_EXPRESSION_FAILED', `${what}: \`${expr.source}\` yielded ${typeof value}, expected bool`);
  }
  return value;
}

/**
 * Evaluates a people expression to a list of strings (user ids or principal refs).
 *
 * @throws SluiceError `SLUICE_ERR_EXPRESSION_FAILED` when evaluation fails or yields anything else
 */
export function evaluatePeople(expr: CompiledExpression, context: ExpressionContext, what: string): string[] {
  let value: unknown;
  try {
    value = expr.evaluate(context);
  } catch (err) {
    throw workflowError('SLUICE_ERR_EXPRESSION_FAILED', `${what}: \`${expr.source}\` failed: ${firstLine(err)}`, { cause: err });
  }
  const list = Array.isArray(value) ? value : [value];
  if (!list.every((v): v is string => typeof v === 'string' && v.length > 0)) {
    throw workflowError('SLUICE_ERR_EXPRESSION_FAILED', `${what}: \`${expr.source}\` must yield a user id or a list of them`);
  }
  return list;
}
