/** Validates dashboards against Grafana's dashboard JSON schema (vendored in `dashboards/schema/`). */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';

let validate: ValidateFunction | undefined;

function compiled(): ValidateFunction {
  if (!validate) {
    const schema = JSON.parse(readFileSync(new URL('../schema/dashboard.jsonschema.json', import.meta.url), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats.default(ajv);
    validate = ajv.compile(schema);
  }
  return validate;
}

/** Schema violations of `dashboard` (a parsed dashboard JSON), each naming the path; empty when valid. */
export function schemaErrors(dashboard: unknown): string[] {
  const v = compiled();
  if (v(dashboard)) return [];
  return (v.errors ?? []).map(
    (e) =>
      `${e.instancePath || '/'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? `: ${String(e.params.additionalProperty)}` : ''}`,
  );
}
