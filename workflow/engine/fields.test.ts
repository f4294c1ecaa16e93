import { beforeEach, describe, expect, it } from 'vitest';
import { isSluiceError } from '../../core/errors.js';
import { WORKFLOW_LIMITS as L } from '../limits.js';
import { createHarness, type Harness } from '../testing/harness.js';
import { checkFields } from './fields.js';
import { PLAYGROUND_YAML } from '../testing/flows.js';

/** The field an error names, after checking it is a 400 validation error. */
function refusedAt(fields: unknown): { field: string; message: string } {
  try {
    checkFields(fields);
  } catch (err) {
    expect(isSluiceError(err, 'SLUICE_ERR_VALIDATION')).toBe(true);
    expect((err as { status: number }).status).toBe(400);
    return { field: (err as { details: { field: string } }).details.field, message: (err as Error).message };
  }
  throw new Error('fields were accepted');
}

function nested(depth: number): Record<string, unknown> {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v as Record<string, unknown>;
}

describe('checkFields', () => {
  it('takes fields at every limit', () => {
    expect(() => checkFields(nested(L.maxFieldDepth))).not.toThrow();
    expect(() =>
      checkFields({ s: 'x'.repeat(L.maxFieldStringLength), l: Array.from({ length: L.maxFieldEntries }, () => 0) }),
    ).not.toThrow();
    expect(() => checkFields(Object.fromEntries(Array.from({ length: L.maxFieldEntries }, (_, i) => [`k${i}`, i])))).not.toThrow();
    expect(() => checkFields({ ok: true, n: null, u: undefined, [`${'k'.repeat(L.maxFieldKeyLength)}`]: -1.5 })).not.toThrow();
  });

  it('refuses nesting 3000 deep, naming the place where it passes the limit', () => {
    const { field, message } = refusedAt({ deep: nested(3000) });
    expect(field).toBe(`fields.deep${'.a'.repeat(L.maxFieldDepth - 1)}`);
    expect(message).toBe(`${field}: nests objects and arrays more than 32 deep`);
  });

  it('refuses long strings and keys, big objects and arrays, naming each', () => {
    expect(refusedAt({ note: 'x'.repeat(L.maxFieldStringLength + 1) })).toEqual({
      field: 'fields.note',
      message: 'fields.note: is longer than 10000 characters',
    });
    expect(refusedAt({ list: [1, { 'odd key': Array.from({ length: 1001 }, () => 1) }] }).field).toBe('fields.list[1]["odd key"]');
    expect(refusedAt({ m: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, i])) }).message).toBe(
      'fields.m: has more than 1000 keys',
    );
    expect(refusedAt({ ['k'.repeat(300)]: 1 }).message).toMatch(/^fields\["k{40}…"\]: key is longer than 256 characters$/);
  });

  it('refuses more values or characters in all than the limits, and non-JSON values', () => {
    const wide = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, Array.from({ length: 600 }, () => 0)]));
    expect(refusedAt(wide)).toEqual({ field: 'fields', message: 'fields: hold more than 10000 values' });
    const long = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 'x'.repeat(10_000)]));
    expect(refusedAt(long).message).toBe('fields: hold more than 1000000 characters');
    expect(refusedAt({ f: () => 1 }).field).toBe('fields.f');
    expect(refusedAt({ n: Number.NaN }).message).toBe('fields.n: must be a finite number');
    expect(refusedAt([1]).message).toBe('fields: must be an object');
  });
});

describe('the engine keeps ticket fields within the limits', () => {
  let h: Harness;
  beforeEach(async () => {
    h = createHarness(Date.parse('2026-03-02T09:00:00Z'));
    await h.flows.deploy(PLAYGROUND_YAML);
  });

  it('refuses fields nested 3000 deep at creation, before anything clones them', async () => {
    const created = h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: { id: 'ann' }, fields: { deep: nested(3000) } });
    await expect(created).rejects.toMatchObject({
      code: 'SLUICE_ERR_VALIDATION',
      status: 400,
      details: { field: `fields.deep${'.a'.repeat(31)}` },
    });
    const diverted = h.engine.createFromDiversion({ tenant: 'acme', callId: 'c1', channel: 'callback', fields: { deep: nested(3000) } });
    await expect(diverted).rejects.toMatchObject({ code: 'SLUICE_ERR_VALIDATION' });
  });

  it('checks the merged fields when a completed todo adds some', async () => {
    const half = (prefix: string) => Object.fromEntries(Array.from({ length: 600 }, (_, i) => [`${prefix}${i}`, i]));
    const { ticket } = await h.engine.createTicket({ tenant: 'acme', flowId: 'playground', actor: { id: 'ann' }, fields: half('a') });
    const deep = h.engine.act('acme', ticket.id, { type: 'complete', actor: { id: 'ann' }, fields: { deep: nested(3000) } });
    await expect(deep).rejects.toMatchObject({ code: 'SLUICE_ERR_VALIDATION' });
    const tooMany = h.engine.act('acme', ticket.id, { type: 'complete', actor: { id: 'ann' }, fields: half('b') });
    await expect(tooMany).rejects.toMatchObject({ code: 'SLUICE_ERR_VALIDATION', message: 'fields: has more than 1000 keys' });
    const fine = await h.engine.act('acme', ticket.id, { type: 'complete', actor: { id: 'ann' }, fields: { b: 1 } });
    expect(Object.keys(fine.ticket.fields)).toHaveLength(601);
  });
});
