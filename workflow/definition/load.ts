import { parse as parseYaml } from 'yaml';
import { WorkflowError } from '../errors.js';
import { compileFlow, type CompiledFlow, type CompileOptions } from './compile.js';

/** Source formats a flow definition may come in. */
export type FlowFormat = 'json' | 'yaml';

/**
 * Parses flow source text. Without a format, text starting with `{` is JSON and anything
 * else YAML (YAML 1.2 core schema: `09:00` and `2026-12-25` stay strings).
 *
 * @throws WorkflowError `SLUICE_ERR_FLOW_PARSE` with the parser's position
 */
export function parseFlowSource(text: string, format?: FlowFormat): unknown {
  const fmt = format ?? (text.trimStart().startsWith('{') ? 'json' : 'yaml');
  try {
    return fmt === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true, uniqueKeys: true, maxAliasCount: 50 });
  } catch (err) {
    const first = String((err as Error).message).split('\n')[0];
    throw new WorkflowError('SLUICE_ERR_FLOW_PARSE', `flow source is not valid ${fmt.toUpperCase()}: ${first}`, { cause: err });
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
 * @throws WorkflowError `SLUICE_ERR_FLOW_PARSE` or `SLUICE_ERR_FLOW_INVALID`
 * @example const flow = loadFlow(readFileSync('workflow/flows/fee-reduction.yaml', 'utf8'));
 */
export function loadFlow(source: string | object, options: LoadOptions = {}): CompiledFlow {
  return compileFlow(typeof source === 'string' ? parseFlowSource(source, options.format) : source, options);
}
