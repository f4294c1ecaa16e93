import { compileFlow, type CompiledFlow } from '../definition/compile.js';
import type { FlowDocument } from '../definition/document.js';
import { parseFlowSource, type FlowFormat } from '../definition/load.js';
import type { NodeTypeRegistry } from '../definition/node-type.js';
import { workflowError } from '../errors.js';

/**
 * Where flow definitions live, every version kept (running tickets stay pinned to theirs).
 * Keys include the tenant. Implemented in memory here and in Redis by the lead.
 */
export interface FlowRepository {
  /**
   * Stores a validated definition as a new version.
   *
   * @throws SluiceError `SLUICE_ERR_FLOW_VERSION_EXISTS` when that version exists or is not newer than the latest
   */
  save(doc: FlowDocument): Promise<void>;
  /** One version, or undefined. */
  get(tenant: string, id: string, version: number): Promise<FlowDocument | undefined>;
  /** Highest stored version, or undefined. */
  latestVersion(tenant: string, id: string): Promise<number | undefined>;
  /** Every flow id of the tenant with its latest version. */
  list(tenant: string): Promise<{ id: string; latestVersion: number }[]>;
  /** Every stored version of one flow, ascending (empty when the tenant has no such flow). */
  versions(tenant: string, id: string): Promise<number[]>;
}

/** In-memory {@link FlowRepository}. */
export class MemoryFlowRepository implements FlowRepository {
  readonly #docs = new Map<string, Map<number, FlowDocument>>();

  async save(doc: FlowDocument): Promise<void> {
    const k = `${doc.tenant}\u0000${doc.id}`;
    const versions = this.#docs.get(k) ?? new Map<number, FlowDocument>();
    const latest = Math.max(0, ...versions.keys());
    if (doc.version <= latest) {
      throw workflowError(
        'SLUICE_ERR_FLOW_VERSION_EXISTS',
        `flow "${doc.id}" of tenant "${doc.tenant}" is at v${latest}; deploy v${latest + 1} or later, not v${doc.version}`,
      );
    }
    versions.set(doc.version, structuredClone(doc));
    this.#docs.set(k, versions);
  }

  async get(tenant: string, id: string, version: number): Promise<FlowDocument | undefined> {
    const doc = this.#docs.get(`${tenant}\u0000${id}`)?.get(version);
    return doc && structuredClone(doc);
  }

  async latestVersion(tenant: string, id: string): Promise<number | undefined> {
    const versions = this.#docs.get(`${tenant}\u0000${id}`);
    return versions && versions.size > 0 ? Math.max(...versions.keys()) : undefined;
  }

  async list(tenant: string): Promise<{ id: string; latestVersion: number }[]> {
    const out: { id: string; latestVersion: number }[] = [];
    for (const [k, versions] of this.#docs) {
      const [t, id] = k.split('\u0000') as [string, string];
      if (t === tenant && versions.size > 0) out.push({ id, latestVersion: Math.max(...versions.keys()) });
    }
    return out.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  async versions(tenant: string, id: string): Promise<number[]> {
    return [...(this.#docs.get(`${tenant}\u0000${id}`)?.keys() ?? [])].sort((a, b) => a - b);
  }
}

/** Options of {@link FlowCatalog}. */
export interface FlowCatalogOptions {
  /** Node types definitions may use (default: the built-in ones). */
  readonly registry?: NodeTypeRegistry;
}

/**
 * Deploys and serves compiled flows: validates before storing (an invalid definition is
 * never stored), compiles each stored version once and caches it. Hot deploy: a new
 * version is used by new tickets at once; running tickets keep theirs.
 */
export class FlowCatalog {
  readonly #compiled = new Map<string, CompiledFlow>();
  readonly #options: FlowCatalogOptions;
  /** Where definitions are stored. */
  readonly repo: FlowRepository;

  /**
   * @param repo where definitions are stored
   * @param options node types to accept
   */
  constructor(repo: FlowRepository, options: FlowCatalogOptions = {}) {
    this.repo = repo;
    this.#options = options;
  }

  /**
   * Validates and stores a new flow version.
   *
   * @param source JSON/YAML text or a parsed object
   * @param tenant when given, the definition must belong to it
   * @throws SluiceError `SLUICE_ERR_FLOW_PARSE`, `SLUICE_ERR_FLOW_INVALID`, `SLUICE_ERR_FLOW_VERSION_EXISTS`
   */
  async deploy(source: string | object, options: { format?: FlowFormat; tenant?: string } = {}): Promise<CompiledFlow> {
    const flow = this.validate(source, options);
    await this.repo.save(flow.document);
    this.#compiled.set(`${flow.tenant}\u0000${flow.id}\u0000${flow.version}`, flow);
    return flow;
  }

  /**
   * Validates a definition exactly as {@link deploy} does, without storing it: the one check both
   * `POST /v1/flows` and the studio's validate-only request run.
   *
   * @param source JSON/YAML text or a parsed object
   * @param tenant when given, the definition must belong to it
   * @throws SluiceError `SLUICE_ERR_FLOW_PARSE`, `SLUICE_ERR_FLOW_INVALID`
   */
  validate(source: string | object, options: { format?: FlowFormat; tenant?: string } = {}): CompiledFlow {
    const doc = typeof source === 'string' ? parseFlowSource(source, options.format) : source;
    const flow = compileFlow(doc, this.#compileOptions());
    if (options.tenant !== undefined && flow.tenant !== options.tenant) {
      throw workflowError('SLUICE_ERR_FLOW_INVALID', `tenant: flow "${flow.id}" belongs to "${flow.tenant}", not "${options.tenant}"`);
    }
    return flow;
  }

  #compileOptions(): { registry?: NodeTypeRegistry } {
    return this.#options.registry ? { registry: this.#options.registry } : {};
  }

  /**
   * A compiled version (the latest when `version` is omitted).
   *
   * @throws SluiceError `SLUICE_ERR_FLOW_NOT_FOUND`
   */
  async get(tenant: string, id: string, version?: number): Promise<CompiledFlow> {
    const v = version ?? (await this.repo.latestVersion(tenant, id));
    const k = `${tenant}\u0000${id}\u0000${v}`;
    const hit = this.#compiled.get(k);
    if (hit) return hit;
    const doc = v === undefined ? undefined : await this.repo.get(tenant, id, v);
    if (!doc)
      throw workflowError(
        'SLUICE_ERR_FLOW_NOT_FOUND',
        `flow "${id}"${version === undefined ? '' : ` v${version}`} does not exist in tenant "${tenant}"`,
      );
    const flow = compileFlow(doc, this.#compileOptions());
    this.#compiled.set(k, flow);
    return flow;
  }

  /** The latest version of every flow of the tenant (for trigger matching). */
  async latestAll(tenant: string): Promise<CompiledFlow[]> {
    const entries = await this.repo.list(tenant);
    return Promise.all(entries.map((e) => this.get(tenant, e.id, e.latestVersion)));
  }
}
