import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nestsDeeper, pathTooDeep, tooDeepError } from './json-depth.js';

/** Depth of a JSON value by the definition the limit uses: an array or object is one level more than its deepest child. */
function depthOf(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const children = Array.isArray(v) ? v : Object.values(v);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe('JSON depth limit', () => {
  it('measures depth on the text, skipping brackets inside strings and escaped quotes', () => {
    expect(nestsDeeper('{"a":[1,{"b":2}]}', 3)).toBe(false);
    expect(nestsDeeper('{"a":[1,{"b":2}]}', 2)).toBe(true);
    expect(nestsDeeper('{"a":"[[[[[[[[[[{{{{{{{"}', 1)).toBe(false);
    expect(nestsDeeper('{"a":"\\"[[[[[[","b":[[]]}', 2)).toBe(true);
    expect(nestsDeeper('{"a":"\\\\","b":"[[[["}', 1)).toBe(false);
    expect(nestsDeeper('"just a string"', 0)).toBe(false);
  });

  it('agrees with the depth of the parsed value for any JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (v, max) => {
        expect(nestsDeeper(JSON.stringify(v), max)).toBe(depthOf(v) > max);
        expect(pathTooDeep(v, max) !== undefined).toBe(depthOf(v) > max);
      }),
    );
  });

  it('names the first path that goes too deep, without recursion, on 200,000 levels', () => {
    const deep = `{"events":[{"ok":1},{"body":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}]}`;
    expect(nestsDeeper(deep, 64)).toBe(true);
    expect(pathTooDeep(JSON.parse(deep), 5)).toEqual(['events', 1, 'body', 'x', 0]);
    const e = tooDeepError(deep, 64);
    expect(e).toMatchObject({ code: 'SLUICE_ERR_VALIDATION', status: 400, details: { field: 'body.events.1.body.x.0.0.0.0.0.0.0.0.…' } });
    expect(e.message).toContain('deeper than 64 levels');
    // Not JSON either: refused all the same, naming the body.
    expect(tooDeepError('[[[[[[[[[', 3).details).toEqual({ field: 'body' });
  });
});
