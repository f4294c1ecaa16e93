import { describe, expect, it, vi } from 'vitest';
import { CORE_ERRORS, defineErrors, errorRegistry, isSluiceError, SluiceError } from './errors.js';

const kit = defineErrors('test-room', {
  SLUICE_ERR_TEST_TEMPLATE: { status: 409, retriable: true, message: 'policy of %s is at %s' },
  SLUICE_ERR_TEST_WHOLE: { status: 422, retriable: false },
  SLUICE_ERR_TEST_INTERNAL: { retriable: true },
});

describe('SluiceError', () => {
  it("fills the template, or takes the message whole, with the code's status and retriable flag", () => {
    const e = kit.error('SLUICE_ERR_TEST_TEMPLATE', ['acme', '3']);
    expect(e).toMatchObject({
      name: 'SluiceError',
      code: 'SLUICE_ERR_TEST_TEMPLATE',
      status: 409,
      retriable: true,
      message: 'policy of acme is at 3',
      details: {},
    });
    expect(e).toBeInstanceOf(Error);
    expect(kit.error('SLUICE_ERR_TEST_WHOLE', 'body.flowId is required')).toMatchObject({
      status: 422,
      retriable: false,
      message: 'body.flowId is required',
    });
    expect(kit.error('SLUICE_ERR_TEST_INTERNAL', 'buffer full').status).toBeUndefined();
  });

  it('carries details, cause and a per-instance retriable flag', () => {
    const cause = new Error('low level');
    const e = kit.error('SLUICE_ERR_TEST_WHOLE', 'x', { details: { field: 'body.x' }, cause, retriable: true });
    expect(e.details).toEqual({ field: 'body.x' });
    expect(e.cause).toBe(cause);
    expect(e.retriable).toBe(true);
    expect('cause' in kit.error('SLUICE_ERR_TEST_WHOLE', 'x')).toBe(false);
  });

  it("builds the shared codes through every room's kit, and refuses a code the room does not know", () => {
    expect(kit.error('SLUICE_ERR_NOT_FOUND', 'tenant globex not found')).toMatchObject({
      status: 404,
      retriable: false,
      message: 'tenant globex not found',
    });
    expect(kit.error('SLUICE_ERR_UNAVAILABLE', 'the event bus is unavailable').retriable).toBe(true);
    expect(() => kit.error('SLUICE_ERR_NOPE' as never, 'x')).toThrow(/SLUICE_ERR_NOPE is not an error code of test-room/);
  });
});

describe('isSluiceError', () => {
  it('recognises Sluice errors by marker, and narrows by code when one is given', () => {
    const e = kit.error('SLUICE_ERR_TEST_WHOLE', 'x');
    expect(isSluiceError(e)).toBe(true);
    expect(isSluiceError(e, 'SLUICE_ERR_TEST_WHOLE')).toBe(true);
    expect(isSluiceError(e, 'SLUICE_ERR_TEST_TEMPLATE')).toBe(false);
    expect(isSluiceError(new Error('x'))).toBe(false);
    expect(isSluiceError({ code: 'SLUICE_ERR_TEST_WHOLE', status: 422 })).toBe(false);
    expect(isSluiceError(null)).toBe(false);
    expect(isSluiceError('SLUICE_ERR_TEST_WHOLE')).toBe(false);
  });

  it('recognises an error built by another copy of this module, which instanceof does not', async () => {
    vi.resetModules();
    // A second evaluation of this file, as a second installed copy of the package would be.
    const specifier = './errors.js?copy';
    const copy = (await import(specifier)) as typeof import('./errors.js');
    expect(copy.SluiceError).not.toBe(SluiceError);
    const foreign = copy
      .defineErrors('other-copy', { SLUICE_ERR_TEST_COPY: { status: 400, retriable: false } })
      .error('SLUICE_ERR_TEST_COPY', 'from the copy');
    expect(foreign instanceof SluiceError).toBe(false);
    expect(isSluiceError(foreign, 'SLUICE_ERR_TEST_COPY')).toBe(true);
    expect(copy.isSluiceError(kit.error('SLUICE_ERR_TEST_WHOLE', 'x'))).toBe(true);
  });
});

describe('error registry', () => {
  it("holds every registered code with its room, the shared ones as core's", () => {
    const registry = errorRegistry();
    for (const code of Object.keys(CORE_ERRORS)) expect(registry.get(code)?.room).toBe('core');
    expect(registry.get('SLUICE_ERR_TEST_TEMPLATE')).toMatchObject({ room: 'test-room', spec: { status: 409 } });
  });

  it('refuses a code another room (or core) already defines', () => {
    expect(() => defineErrors('intruder', { SLUICE_ERR_TEST_WHOLE: { status: 400, retriable: false } })).toThrow(
      /SLUICE_ERR_TEST_WHOLE of intruder is already defined by test-room/,
    );
    expect(() => defineErrors('intruder', { SLUICE_ERR_NOT_FOUND: { status: 404, retriable: false } })).toThrow(/already defined by core/);
    expect(errorRegistry().get('SLUICE_ERR_NOT_FOUND')?.room).toBe('core');
  });
});
