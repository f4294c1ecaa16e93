import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseApiKeys } from './api-keys.js';

const ANN = 'Qz7annKeyQz7annKey';
const IVR = 'Wx4ivrKeyWx4ivrKey';
const ADMIN = 'Jp2admKeyJp2admKey';

function keysFile(entries: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-keys-')), 'keys.json');
  writeFileSync(file, typeof entries === 'string' ? entries : JSON.stringify(entries));
  return file;
}

/** The message of the configuration error `run` throws. */
function refusal(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toMatchObject({ code: 'SLUICE_ERR_CONFIG' });
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('API keys → principals', () => {
  it('keeps key:tenant:role and adds a user and groups, labelled by position', () => {
    const keys = parseApiKeys(`${IVR}:acme:router, ${ANN}:acme:agent:ann:billing-agents+billing-managers+billing-agents`);
    expect(keys.get(IVR)).toEqual({ tenant: 'acme', role: 'router', keyId: 'key#1' });
    expect(keys.get(ANN)).toEqual({
      tenant: 'acme',
      role: 'agent',
      keyId: 'key#2',
      user: 'ann',
      groups: ['billing-agents', 'billing-managers'],
    });
    expect(Object.isFrozen(keys.get(ANN))).toBe(true);
  });

  it('reads the file after the environment, with names as labels', () => {
    const file = keysFile([
      { key: ADMIN, tenant: '*', role: 'admin', name: 'ops-console' },
      { key: ANN, tenant: 'acme', role: 'agent', user: 'ann@acme.example', groups: ['billing-agents'] },
    ]);
    const keys = parseApiKeys(`${IVR}:acme:router`, file);
    expect(keys.get(IVR)?.keyId).toBe('key#1');
    expect(keys.get(ADMIN)).toEqual({ tenant: '*', role: 'admin', keyId: 'ops-console' });
    expect(keys.get(ANN)).toEqual({ tenant: 'acme', role: 'agent', keyId: 'key#3', user: 'ann@acme.example', groups: ['billing-agents'] });
  });

  it('never derives a label from the key', () => {
    const keys = parseApiKeys(`${ANN}:acme:agent,${IVR}:acme:router`);
    for (const [key, p] of keys) {
      for (let n = 3; n <= key.length; n++) expect(JSON.stringify(p)).not.toContain(key.slice(0, n));
    }
  });

  it('refuses bad entries naming the entry and the rule, never echoing a key', () => {
    const cases: [() => unknown, RegExp][] = [
      [() => parseApiKeys('short:acme:admin'), /SLUICE_API_KEYS entry 1: key must be a string of at least 16 characters/],
      [() => parseApiKeys(`${ANN}:acme:root`), /entry 1: has an invalid role; roles are admin, router, agent, viewer/],
      [() => parseApiKeys(`${IVR}:acme:router,${ANN}:Acme Corp:admin`), /entry 2: has an invalid tenant/],
      [() => parseApiKeys(`${ANN}:acme`), /entry 1: must be key:tenant:role/],
      [() => parseApiKeys(`${ANN}:acme:agent:ann:g1:extra`), /entry 1: must be key:tenant:role/],
      [() => parseApiKeys(`${ANN}:acme:agent::billing`), /entry 1: must be key:tenant:role/],
      [() => parseApiKeys(`${ANN}:acme:agent:ann smith`), /entry 1: user must match/],
      [() => parseApiKeys(`${ANN}:acme:agent:ann:a+b c`), /entry 1: groups must be a list/],
      [() => parseApiKeys(`${ANN}:acme:agent,${ANN}:globex:viewer`), /entry 2: repeats the key of SLUICE_API_KEYS entry 1/],
      [() => parseApiKeys('', keysFile({ key: ANN })), /must hold an array/],
      [() => parseApiKeys('', keysFile(`[{"key": "${ANN}", tenant}]`)), /is not valid JSON \(at position \d+/],
      [() => parseApiKeys('', keysFile([ANN])), /entry 1: must be an object/],
      [() => parseApiKeys('', keysFile([{ key: IVR, tenant: 'acme', role: 'agent', [ANN]: 1 }])), /entry 1: has an unknown field/],
      [
        () => parseApiKeys('', keysFile([{ key: IVR, tenant: ANN.toLowerCase(), role: 'router', groups: ['x'] }])),
        /entry 1: has an invalid tenant|groups need a user/,
      ],
      [() => parseApiKeys('', keysFile([{ key: IVR, tenant: 'acme', role: 'router', groups: ['x'] }])), /entry 1: groups need a user/],
      [
        () => parseApiKeys('', keysFile([{ key: IVR, tenant: 'acme', role: 'router', name: IVR }])),
        /entry 1: name must not be the key itself/,
      ],
      [
        () =>
          parseApiKeys(
            '',
            keysFile([
              { key: IVR, tenant: 'acme', role: 'router', name: 'ivr' },
              { key: ANN, tenant: 'acme', role: 'agent', name: 'ivr' },
            ]),
          ),
        /entry 2: has the name "ivr" of .* entry 1/,
      ],
      [() => parseApiKeys('', join(tmpdir(), 'no-such-sluice-keys.json')), /cannot be read \(ENOENT\)/],
    ];
    for (const [run, message] of cases) {
      const text = refusal(run);
      expect(text).toMatch(message);
      for (const key of [ANN, IVR, ADMIN]) expect(text, text).not.toContain(key.slice(0, 4));
    }
  });
});
