import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { errorRegistry, isSluiceError } from '../core/errors.js';
// Every room's list registers itself when its module loads; the app is the one room that may load them all.
import '../control/errors.js';
import '../operators/errors.js';
import '../pipelines/errors.js';
import '../workflow/errors.js';
import { appError, invalidRequest } from './errors.js';

const ROOMS = ['app', 'control', 'core', 'operators', 'pipelines', 'workflow'];

describe('error codes', () => {
  const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map(
    doc.split('\n').flatMap((l) => {
      const m = /^\| `(SLUICE_ERR_[A-Z0-9_]+)` \| ([^|]+) \| ([^|]+) \|/.exec(l);
      return m ? [[m[1]!, { status: m[2]!.trim(), retriable: m[3]!.trim() }] as const] : [];
    }),
  );

  it('registers the lists of every room, each code defined once', () => {
    const registry = errorRegistry();
    expect([...new Set([...registry.values()].map((c) => c.room))].sort()).toEqual(ROOMS);
    expect(registry.get('SLUICE_ERR_NOT_FOUND')?.room).toBe('core');
  });

  it('documents every code of every room in docs/errors.md, with its HTTP status and whether to retry', () => {
    for (const [code, { room, spec }] of errorRegistry()) {
      const row = rows.get(code);
      expect(row, `${room}: ${code} is not documented`).toBeDefined();
      // A configuration error stops the start-up: it has a status for the list, but no client ever sees it.
      const status = code === 'SLUICE_ERR_CONFIG' || spec.status === undefined ? '—' : String(spec.status);
      expect(row, code).toEqual({ status, retriable: spec.retriable ? 'yes' : 'no' });
    }
  });

  it('documents no code that no room defines, and each code once', () => {
    expect([...rows.keys()].filter((code) => !errorRegistry().has(code))).toEqual([]);
    const documented = doc.match(/^\| `(SLUICE_ERR_[A-Z0-9_]+)` \|/gm) ?? [];
    expect(new Set(documented).size).toBe(documented.length);
  });

  it("fills the app's message templates, and words its 400s as the schema refusals are worded", () => {
    const e = appError('SLUICE_ERR_NOT_READY', ['the bus is down']);
    expect(e).toMatchObject({ message: 'not ready: the bus is down', status: 503, retriable: true });
    expect(isSluiceError(e, 'SLUICE_ERR_NOT_READY')).toBe(true);
    expect(invalidRequest('querystring.to', 'querystring.to must be greater than querystring.from')).toMatchObject({
      code: 'SLUICE_ERR_VALIDATION',
      status: 400,
      message: 'request is invalid: querystring.to must be greater than querystring.from',
      details: { field: 'querystring.to' },
    });
  });
});
