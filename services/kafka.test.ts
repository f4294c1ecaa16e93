import { describe, expect, it } from 'vitest';
import { kraftClusterId } from './kafka.js';

describe('kraftClusterId', () => {
  it('never starts with "-" (the storage tool would take it for an option), drawing again until it does not', () => {
    // 0xf8 → first base64url character '-' (index 62); 0x00 → 'A'.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0xfb), Buffer.alloc(16, 0x00)];
    let n = 0;
    const id = kraftClusterId(() => draws[n++]!);
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(n).toBe(3);
    expect(id).toBe(Buffer.alloc(16, 0).toString('base64url'));
    expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });

  it('makes 22-character base64url ids from 16 random bytes', () => {
    const ids = new Set(Array.from({ length: 200 }, () => kraftClusterId()));
    expect(ids.size).toBe(200);
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
