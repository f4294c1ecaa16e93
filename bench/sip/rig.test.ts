import { describe, expect, it } from 'vitest';
import { lastStatRow } from './rig.js';

describe('lastStatRow', () => {
  it('reads the last row of a SIPp statistics file by column name', () => {
    const csv = [
      'StartTime;LastResetTime;SuccessfulCall(P);SuccessfulCall(C);FailedCall(P);FailedCall(C);',
      '2026-01-01 00:00:00;x;3;3;0;0;',
      '2026-01-01 00:00:01;x;4;7;1;1;',
      '',
    ].join('\n');
    const row = lastStatRow(csv);
    expect(row['SuccessfulCall(C)']).toBe('7');
    expect(row['FailedCall(C)']).toBe('1');
  });

  it('refuses a file without rows, quoting it', () => {
    expect(() => lastStatRow('StartTime;SuccessfulCall(C)\n')).toThrow(/without rows: StartTime/);
  });
});
