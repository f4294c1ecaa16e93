/**
 * CEL's `matches` with RE2 semantics, as the CEL specification requires. cel-js implements
 * `matches` with JavaScript's backtracking `RegExp` (`(a+)+$` on 30 characters runs for
 * minutes) and offers no way to replace a built-in overload, so a flow's expression is
 * evaluated in a rewritten form: every `s.matches(p)` becomes a call to {@link RE2_FUNCTION},
 * which runs `re2js` (linear in the input for a given pattern). The rewrite goes through
 * cel-js's own `serialize` and is checked node for node against the original before use.
 */
import { serialize, type ASTNode } from '@marcbachmann/cel-js';
import { RE2JS } from 're2js';

/** The internal function `matches` is rewritten to (flow expressions may not call it by name). */
export const RE2_FUNCTION = 'sluice_re2_matches';

/** Largest compiled RE2 program a pattern may have (instructions); matching costs input × program. */
export const MAX_PATTERN_PROGRAM = 1_000;

const COUNTED = /\{(\d+)(,(\d*))?\}/y;

/** The counted repetition (`{n}`, `{n,}`, `{n,m}`) at `at`: how many copies RE2 makes, and where it ends. */
function countedAt(pattern: string, at: number): { times: number; end: number } | undefined {
  COUNTED.lastIndex = at;
  const m = COUNTED.exec(pattern);
  if (!m) return undefined;
  const times = m[3] ? Number(m[3]) : m[2] !== undefined ? Number(m[1]) + 1 : Number(m[1]);
  return { times: Math.max(1, times), end: COUNTED.lastIndex };
}

/**
 * A quick upper estimate of the RE2 program a pattern compiles to, read from its text: counted
 * repetitions (`x{n,m}`) multiply what they repeat, nested ones multiply again. Compiling is
 * itself proportional to that size (`a{1000}` twenty-eight times takes a second), so patterns
 * are measured before they are compiled.
 */
export function estimateProgram(pattern: string): number {
  const frames = [{ size: 0, last: 0 }];
  const top = (): { size: number; last: number } => frames[frames.length - 1] as { size: number; last: number };
  const atom = (n: number): void => {
    top().size += n;
    top().last = n;
  };
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i] as string;
    const counted = c === '{' ? countedAt(pattern, i) : undefined;
    if (c === '\\') {
      const kind = pattern[i + 1];
      i += 2;
      if ((kind === 'p' || kind === 'P') && pattern[i] === '{')
        i = pattern.indexOf('}', i) < 0 ? pattern.length : pattern.indexOf('}', i) + 1;
      else if (kind === 'p' || kind === 'P') i++;
      atom(1);
    } else if (c === '[') {
      i++;
      if (pattern[i] === '^') i++;
      if (pattern[i] === ']') i++;
      while (i < pattern.length && pattern[i] !== ']') i += pattern[i] === '\\' ? 2 : 1;
      i++;
      atom(1);
    } else if (c === '(') {
      frames.push({ size: 0, last: 0 });
      i++;
    } else if (c === ')') {
      const group = frames.length > 1 ? (frames.pop() as { size: number }) : { size: 0 };
      atom(group.size + 1);
      i++;
    } else if (counted) {
      top().size += top().last * (counted.times - 1);
      top().last *= counted.times;
      i = counted.end;
    } else {
      if (c === '|') top().last = 0;
      else if (c === '*' || c === '+' || c === '?') top().size += 1;
      else atom(1);
      i++;
    }
  }
  return frames.reduce((sum, f) => sum + f.size, 0);
}

/**
 * Compiled patterns by text. Entries are weak: the expressions that use a pattern hold it (see
 * `expression.ts`), so a pattern of a live flow is compiled once, whatever the number of
 * flows, and one no flow uses any more is let go.
 */
const compiled = new Map<string, WeakRef<RE2JS>>();
const forget = new FinalizationRegistry<string>((pattern) => {
  if (compiled.get(pattern)?.deref() === undefined) compiled.delete(pattern);
});

/** Instructions the flow being compiled may still spend on compiling new patterns (see {@link withPatternBudget}). */
let budget: { left: number; of: number } | undefined;

/**
 * Runs `fn` (a flow's compilation) with a budget of RE2 instructions for compiling patterns not
 * compiled before: compiling costs time in proportion, and a flow of thousands of conditions
 * must not spend seconds of it.
 */
export function withPatternBudget<T>(instructions: number, fn: () => T): T {
  const outer = budget;
  budget = { left: instructions, of: instructions };
  try {
    return fn();
  } finally {
    budget = outer;
  }
}

/**
 * Compiles a pattern with RE2 semantics, refusing one whose program would be too large.
 *
 * @throws Error naming what is wrong (invalid RE2 syntax, such as look-arounds or
 *   back-references, a program over {@link MAX_PATTERN_PROGRAM} instructions, or the flow's
 *   patterns over their budget together)
 */
export function compilePattern(pattern: string): RE2JS {
  const hit = compiled.get(pattern)?.deref();
  if (hit) return hit;
  const estimate = estimateProgram(pattern);
  if (estimate > 4 * MAX_PATTERN_PROGRAM) throw new Error(`pattern is too large for RE2 (over ${MAX_PATTERN_PROGRAM} instructions)`);
  if (budget) {
    if (estimate > budget.left) throw new Error(`the flow's patterns need more than ${budget.of} RE2 instructions together`);
    budget.left -= estimate;
  }
  let re: RE2JS;
  try {
    re = RE2JS.compile(pattern);
  } catch (err) {
    throw new Error(`invalid RE2 pattern: ${String((err as Error).message)}`);
  }
  if (re.programSize() > MAX_PATTERN_PROGRAM)
    throw new Error(`pattern is too large for RE2 (${re.programSize()} instructions, at most ${MAX_PATTERN_PROGRAM})`);
  compiled.set(pattern, new WeakRef(re));
  forget.register(re, pattern);
  return re;
}

/** CEL `matches`: true when the pattern matches any part of the input (RE2 semantics). */
export function re2Matches(input: string, pattern: string): boolean {
  return compilePattern(pattern).test(input);
}

/** True for an AST node (cel-js nodes carry `op` and `args`). */
export function isNode(x: unknown): x is ASTNode {
  return typeof x === 'object' && x !== null && typeof (x as { op?: unknown }).op === 'string' && 'args' in x;
}

/** True for `receiver.matches(pattern)`. */
export function isMatches(n: ASTNode): n is ASTNode & { op: 'rcall'; args: [string, ASTNode, ASTNode[]] } {
  return n.op === 'rcall' && n.args[0] === 'matches' && n.args[2].length === 1;
}

interface Plain {
  readonly op: string;
  readonly args: unknown;
}

function mapArgs(args: unknown, f: (n: ASTNode) => Plain): unknown {
  if (isNode(args)) return f(args);
  if (Array.isArray(args)) return args.map((a: unknown) => mapArgs(a, f));
  return args;
}

function withRe2(n: ASTNode): Plain {
  if (isMatches(n)) return { op: 'call', args: [RE2_FUNCTION, [withRe2(n.args[1]), withRe2(n.args[2][0] as ASTNode)]] };
  return { op: n.op, args: mapArgs(n.args, withRe2) };
}

/** A canonical text of a tree, positions left out, for comparing two parses. */
function shape(x: unknown): string {
  if (isNode(x)) return `${x.op}(${shape(x.args)})`;
  if (Array.isArray(x)) return `[${x.map(shape).join(',')}]`;
  if (typeof x === 'bigint') return `${x}n`;
  if (typeof x === 'number') return `d${Object.is(x, -0) ? '-0' : String(x)}`;
  if (x instanceof Uint8Array) return `b${[...x].join('.')}`;
  return `${typeof x}:${JSON.stringify(x) ?? String(x)}`;
}

/**
 * The source to evaluate in place of `ast`: with every `matches` call on RE2, or undefined when
 * there is none. `parse` must parse the returned text (it is checked to give the same tree).
 *
 * @throws Error when the rewritten text does not parse back to the same expression
 */
export function rewriteMatches(ast: ASTNode, parse: (source: string) => ASTNode): string | undefined {
  let found = false;
  const stack: unknown[] = [ast];
  while (stack.length > 0 && !found) {
    const x = stack.pop();
    if (isNode(x)) {
      found = isMatches(x);
      stack.push(x.args);
    } else if (Array.isArray(x)) for (const a of x) stack.push(a);
  }
  if (!found) return undefined;
  const plain = withRe2(ast);
  const source = serialize(plain as unknown as ASTNode);
  let same = false;
  try {
    same = shape(parse(source)) === shape(plain);
  } catch {
    same = false;
  }
  // cel-js prints a few double literals inexactly (1e21, 0.0000001); such an expression is refused, never changed.
  if (!same)
    throw new Error(
      '`matches` cannot be evaluated with RE2 in this expression: write its number literals without an exponent and with at most 9 decimals',
    );
  return source;
}
