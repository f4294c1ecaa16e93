import { describe, expect, it } from 'vitest';
import type { FlowDocument } from '../definition/document.js';
import type { FlowRepository } from './flow-store.js';

/** A minimal flow document for repository contract tests (stored as is, not compiled). */
export function sampleFlowDoc(over: Partial<FlowDocument> = {}): FlowDocument {
  return {
    id: 'refund',
    version: 1,
    tenant: 'acme',
    name: 'Refund',
    nodes: [
      { id: 'start', type: 'start' },
      { id: 'end', type: 'end' },
    ],
    controls: [{ from: 'start', to: 'end' }],
    ...over,
  };
}

/**
 * The behaviour every {@link FlowRepository} must show, run against the in-memory twin here
 * and against Redis by the integration suite.
 *
 * @param name label of the implementation
 * @param make returns a fresh, empty repository
 */
export function flowRepositoryContract(name: string, make: () => FlowRepository | Promise<FlowRepository>): void {
  describe(`FlowRepository contract: ${name}`, () => {
    it('stores versions and reads each back, the latest first in the list', async () => {
      const repo = await make();
      await repo.save(sampleFlowDoc());
      await repo.save(sampleFlowDoc({ version: 3, name: 'Refund v3' }));
      await repo.save(sampleFlowDoc({ id: 'callback', name: 'Callback' }));
      expect(await repo.get('acme', 'refund', 3)).toEqual(sampleFlowDoc({ version: 3, name: 'Refund v3' }));
      expect(await repo.get('acme', 'refund', 2)).toBeUndefined();
      expect(await repo.latestVersion('acme', 'refund')).toBe(3);
      expect(await repo.latestVersion('acme', 'nope')).toBeUndefined();
      expect(await repo.versions('acme', 'refund')).toEqual([1, 3]);
      expect(await repo.versions('acme', 'nope')).toEqual([]);
      expect(await repo.list('acme')).toEqual([
        { id: 'callback', latestVersion: 1 },
        { id: 'refund', latestVersion: 3 },
      ]);
    });

    it('refuses a version that is not newer than the latest', async () => {
      const repo = await make();
      await repo.save(sampleFlowDoc({ version: 2 }));
      await expect(repo.save(sampleFlowDoc({ version: 2 }))).rejects.toMatchObject({ code: 'SLUICE_ERR_FLOW_VERSION_EXISTS', status: 409 });
      await expect(repo.save(sampleFlowDoc({ version: 1 }))).rejects.toMatchObject({ code: 'SLUICE_ERR_FLOW_VERSION_EXISTS' });
      expect(await repo.versions('acme', 'refund')).toEqual([2]);
    });

    it('lets exactly one of concurrent deploys of one version win', async () => {
      const repo = await make();
      const outcomes = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => repo.save(sampleFlowDoc({ name: `attempt ${i}` }))));
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(await repo.versions('acme', 'refund')).toEqual([1]);
    });

    it('keeps tenants apart', async () => {
      const repo = await make();
      await repo.save(sampleFlowDoc({ tenant: 'globex', version: 5 }));
      expect(await repo.list('acme')).toEqual([]);
      expect(await repo.get('acme', 'refund', 5)).toBeUndefined();
      await repo.save(sampleFlowDoc());
      expect(await repo.latestVersion('acme', 'refund')).toBe(1);
      expect(await repo.latestVersion('globex', 'refund')).toBe(5);
    });
  });
}
