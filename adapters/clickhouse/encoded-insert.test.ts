import { describe, expect, it } from 'vitest';
import { jsonLines } from './encoded-insert.js';

describe('jsonLines', () => {
  it('puts each text on its own line, its line breaks made spaces, every other byte as it was', () => {
    const texts = ['{"a":1}', '{\r\n "b": "é 😀",\n\n "c": [1,\n2]}\n', '{"d":"\\n"}'].map((t) => Buffer.from(t));
    const body = jsonLines(texts);
    const lines = body.toString('utf8').split('\n');
    expect(lines).toEqual(['{"a":1}', '{   "b": "é 😀",   "c": [1, 2]} ', '{"d":"\\n"}', '']);
    expect(lines.slice(0, 3).map((l) => JSON.parse(l))).toEqual(texts.map((t) => JSON.parse(t.toString())));
    expect(body.length).toBe(texts.reduce((n, t) => n + t.length + 1, 0));
  });

  it('leaves the texts it was given untouched', () => {
    const text = Buffer.from('{\n"a":1}');
    jsonLines([text]);
    expect(text.toString()).toBe('{\n"a":1}');
  });

  it('makes an empty body of no texts', () => {
    expect(jsonLines([]).length).toBe(0);
  });
});
