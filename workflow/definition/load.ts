import { Parser, parse as parseYaml, type CST } from 'yaml';
import { workflowError } from '../errors.js';
import { WORKFLOW_LIMITS } from '../limits.js';
import { compileFlow, type CompiledFlow, type CompileOptions } from './compile.js';

/** Source formats a flow definition may come in. */
export type FlowFormat = 'json' | 'yaml';

/**
 * How deep YAML text nests collections, read from the parser's concrete syntax tree with an
 * explicit stack. The YAML composer recurses once per level (and a few thousand levels
 * exhaust the stack, or worse), so depth is checked on this tree before composing.
 *
 * @returns the depth, or `limit + 1` as soon as it passes `limit`
 */
function yamlDepth(text: string, limit: number): number {
  let max = 0;
  for (const top of new Parser().parse(text)) {
    const stack: [CST.Token | null | undefined, number][] = [[top, 0]];
    while (stack.length > 0) {
      const [token, depth] = stack.pop() as [CST.Token | null | undefined, number];
      if (token?.type === 'document') stack.push([token.value, depth]);
      else if (token?.type === 'block-map' || token?.type === 'block-seq' || token?.type === 'flow-collection') {
        if (depth + 1 > limit) return limit + 1;
        max = Math.max(max, depth + 1);
        for (const item of token.items) stack.push([item.key, depth + 1], [item.value, depth + 1]);
      }
    }
  }
  return max;
}

/**
 * Parses flow source text. Without a format, text starting with `{` is JSON and anything
 * else YAML (YAML 1.2 core schema: `09:00` and `2026-12-25` stay strings).
 *
 * @throws SluiceError `SLUICE_ERR_FLOW_PARSE` with the parser's position;
 *   `SLUICE_ERR_FLOW_INVALID` for YAML nesting collections more than 32 deep
 */
export function parseFlowSource(text: string, format?: FlowFormat): unknown {
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  const limit = WORKFLOW_LIMITS.maxDocumentDepth;
  if (fmt === 'yaml' && yamlDepth(text, limit) > limit) {
    throw workflowError('SLUICE_ERR_FLOW_INVALID', `flow source nests collections more than ${limit} deep`);
  }
  try {
    return fmt === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 50 });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw workflowError('SLUICE_ERR_FLOW_PARSE', `flow source is not valid ${fmt.toUpperCase()}: ${first}`, { cause: err });
  }
}

/** Options of {@link loadFlow}. */
export interface LoadOptions extends CompileOptions {
  /** Source format when `source` is text (default: detected). */
  readonly format?: FlowFormat;
}

/**
 * Parses (when given text) and validates a flow definition.
 *
 * @param source JSON or YAML text, or an already parsed object
 * @throws SluiceError `SLUICE_ERR_FLOW_PARSE` or `SLUICE_ERR_FLOW_INVALID`
 * @example const flow = loadFlow(readFileSync('workflow/flows/fee-reduction.yaml', 'utf8'));
 */
export function loadFlow(source: string | object, options: LoadOptions = {}): CompiledFlow {
  return compileFlow(typeof source === 'string' ? parseFlowSource(source, options.format) : source, options);
}
