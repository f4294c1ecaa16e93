/**
 * The evaluation budget of a CEL expression, checked once at deploy: an upper bound on the
 * elementary steps one evaluation can take on any ticket whose fields are within the limits
 * (`WORKFLOW_LIMITS`). A step is one AST node evaluated (tens of nanoseconds in cel-js).
 *
 * - A node costs one step each time it runs; a macro (`all`, `exists`, `exists_one`, `map`,
 *   `filter`) runs its body once per element of the list it walks, so nested macros multiply.
 * - A walk over a list inside the fields holds at most `maxFieldEntries` elements. A walk over a
 *   path inside the element of an enclosing walk (`orders.exists(o, o.items.exists(…))`) reaches
 *   disjoint parts of the fields each time, so all its runs together hold at most
 *   `maxFieldValues` elements: nested walks down the data cost what the data holds, walks across
 *   it (`l.all(x, l.all(y, …))`) cost the product.
 * - `in` scans its list, `==` on two collections compares them element by element, `matches`
 *   runs RE2 over its input (input characters × pattern program instructions).
 * - Natively implemented string functions (linear in strings of at most `maxFieldStringLength`)
 *   count one step per call.
 */
import type { ASTNode } from '@marcbachmann/cel-js';
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { isMatches, isNode, RE2_FUNCTION } from './cel-re2.js';

const MACROS = new Set(['all', 'exists', 'exists_one', 'map', 'filter']);
/** Size bound of a list the analysis cannot size (a function's result): `split` of the longest string. */
const UNSIZED = L.maxFieldStringLength + 1;
/** RE2 (re2js) advances this many input characters × program instructions per step, at worst. */
const REGEX_WORK_PER_STEP = 8;

/** What the analysis found. */
export interface ExpressionCost {
  /** Worst-case steps of one evaluation. */
  readonly cost: number;
  /** Deepest nesting of macros inside each other's bodies. */
  readonly nesting: number;
  /** Reasons to refuse the expression other than its cost (unsupported constructs). */
  readonly problems: readonly string[];
}

/** An iteration variable: what its elements are (parts of the fields, scalars), and the chain it continues. */
interface Var {
  readonly tree: boolean;
  readonly scalar?: boolean;
  /** Runs of the walk that started the chain of walks down the data this variable belongs to. */
  readonly anchor?: number;
}

interface Scope {
  /** Times a node in this scope runs per evaluation. */
  readonly mult: number;
  readonly vars: ReadonlyMap<string, Var>;
  /** The variable of the macro whose body this is (its chain can continue here). */
  readonly direct?: string;
  readonly depth: number;
}

type Macro = ASTNode & { op: 'rcall'; args: [string, ASTNode, ASTNode[]] };

function isMacro(n: ASTNode): n is Macro {
  if (n.op !== 'rcall' || !MACROS.has(n.args[0])) return false;
  const params = n.args[2];
  return (params.length === 2 || (n.args[0] === 'map' && params.length === 3)) && params[0]?.op === 'id';
}

/** The variable a path (`a.b[c].d`) starts from, if it is one. */
function rootOf(n: ASTNode): string | undefined {
  let x: ASTNode = n;
  while (x.op === '.' || x.op === '.?' || x.op === '[]' || x.op === '[?]') x = x.args[0];
  return x.op === 'id' ? x.args : undefined;
}

function isTree(n: ASTNode, s: Scope): boolean {
  const root = rootOf(n);
  if (root === undefined) return false;
  const v = s.vars.get(root);
  return v ? v.tree : root === 'fields' || root === 'ticket';
}

/** All that the runs of `n` (a path into the fields) reach together: `perRun` each, at most `total` per chain. */
function volume(n: ASTNode, s: Scope, perRun: number, total: number): number {
  const root = rootOf(n);
  const v = root === undefined ? undefined : s.vars.get(root);
  const all = s.mult * perRun;
  return root === s.direct && v?.anchor !== undefined ? Math.min(all, v.anchor * total) : all;
}

function sizeOf(n: ASTNode, s: Scope): number {
  if (n.op === 'list' || n.op === 'map') return n.args.length;
  if (isTree(n, s)) return L.maxFieldEntries;
  if (isMacro(n) && (n.args[0] === 'map' || n.args[0] === 'filter')) return sizeOf(n.args[1], s);
  if (n.op === '+') return sizeOf(n.args[0], s) + sizeOf(n.args[1], s);
  if (n.op === '?:') return Math.max(sizeOf(n.args[1], s), sizeOf(n.args[2], s));
  return UNSIZED;
}

function charsOf(n: ASTNode, s: Scope): number {
  if (n.op === 'value') return typeof n.args === 'string' ? n.args.length : 32;
  if (isTree(n, s)) return L.maxFieldStringLength;
  if (n.op === '+') return charsOf(n.args[0], s) + charsOf(n.args[1], s);
  if (n.op === '?:') return Math.max(charsOf(n.args[1], s), charsOf(n.args[2], s));
  if (n.op === 'rcall' && ['lowerAscii', 'upperAscii', 'trim', 'substring'].includes(n.args[0])) return charsOf(n.args[1], s);
  return L.maxFieldChars;
}

/** True when the elements of list `n` are scalars: a literal list of literals, or a `split`. */
function scalarElements(n: ASTNode, s: Scope): boolean {
  if (n.op === 'list') return n.args.every((e) => e.op === 'value');
  if (n.op === 'rcall' && n.args[0] === 'split') return true;
  if (n.op === 'id') return s.vars.get(n.args)?.scalar === true;
  return isMacro(n) && n.args[0] === 'filter' && scalarElements(n.args[1], s);
}

/** Elements compared when `n` takes part in `==`; 1 for a scalar. */
function compared(n: ASTNode, s: Scope): number {
  if (n.op === 'value' || (n.op === 'id' && s.vars.get(n.args)?.scalar === true)) return s.mult;
  if (isTree(n, s)) return volume(n, s, L.maxFieldValues, L.maxFieldValues);
  if (n.op === 'list' || n.op === 'map') return s.mult * (n.args.length + 1);
  return s.mult * L.maxFieldValues;
}

/**
 * Analyses a parsed expression.
 *
 * @param programSize instructions of the RE2 program of a `matches` pattern (throws when invalid)
 */
export function expressionCost(ast: ASTNode, programSize: (pattern: string) => number): ExpressionCost {
  const problems = new Set<string>();
  let nesting = 0;

  const children = (x: unknown, s: Scope): number => {
    if (isNode(x)) return cost(x, s);
    if (Array.isArray(x)) return x.reduce((sum: number, a: unknown) => sum + children(a, s), 0);
    return 0;
  };

  const cost = (n: ASTNode, s: Scope): number => {
    if (n.op === 'id' && n.args === 'cel' && !s.vars.has('cel'))
      problems.add('the cel namespace (cel.bind) is not available in flow expressions');
    if (n.op === 'call' && n.args[0] === RE2_FUNCTION) problems.add(`unknown function ${RE2_FUNCTION}`);
    if (isMacro(n)) return s.mult + cost(n.args[1], s) + walk(n, s);
    if (isMatches(n)) {
      const [, input, [pattern]] = n.args;
      let steps = s.mult + cost(input, s) + cost(pattern as ASTNode, s);
      if (pattern?.op !== 'value' || typeof pattern.args !== 'string') {
        problems.add('matches takes its pattern as a string literal (it is compiled once, at deploy)');
        return steps;
      }
      let program = 1;
      try {
        program = programSize(pattern.args);
      } catch (err) {
        problems.add(`matches("${pattern.args}"): ${(err as Error).message}`);
      }
      const chars = isTree(input, s) ? volume(input, s, L.maxFieldStringLength, L.maxFieldChars) : s.mult * charsOf(input, s);
      steps += Math.ceil((chars * program) / REGEX_WORK_PER_STEP);
      return steps;
    }
    const own = s.mult + children(n.args, s);
    if (n.op === 'in') {
      const list = n.args[1];
      if (list.op === 'list') return own + s.mult * list.args.length;
      if (list.op === 'map') return own + s.mult;
      return own + (isTree(list, s) ? volume(list, s, L.maxFieldEntries, L.maxFieldValues) : s.mult * sizeOf(list, s));
    }
    if (n.op === '==' || n.op === '!=') return own + Math.min(compared(n.args[0], s), compared(n.args[1], s));
    return own;
  };

  const walk = (n: Macro, s: Scope): number => {
    const [, list, [iter, ...body]] = n.args;
    const name = (iter as ASTNode & { op: 'id' }).args;
    const depth = s.depth + 1;
    nesting = Math.max(nesting, depth);
    let runs: number;
    let v: Var;
    if (isTree(list, s)) {
      runs = volume(list, s, L.maxFieldEntries, L.maxFieldValues);
      const root = rootOf(list) as string;
      const chained = root === s.direct ? s.vars.get(root)?.anchor : undefined;
      v = { tree: true, anchor: chained ?? s.mult };
    } else {
      runs = s.mult * sizeOf(list, s);
      v = { tree: false, scalar: scalarElements(list, s) };
    }
    const inner: Scope = { mult: runs, vars: new Map(s.vars).set(name, v), direct: name, depth };
    return runs + body.reduce((sum, b) => sum + cost(b, inner), 0);
  };

  const total = cost(ast, { mult: 1, vars: new Map(), depth: 0 });
  return { cost: total, nesting, problems: [...problems] };
}
