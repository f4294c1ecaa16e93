/**
 * A small JSON document kept in a file and replaced atomically: written to a temporary file beside it,
 * flushed to disk, then renamed over the old one (and the directory flushed), so a crash leaves either the
 * old document or the new one, never a torn one.
 */
import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Reads and replaces one JSON document. */
export class StateFile<T> {
  readonly #path: string;

  /** @param path the file (created on the first save; its directory must exist) */
  constructor(path: string) {
    this.#path = path;
  }

  /** The saved document, or undefined when there is none yet. @throws when it exists but is not JSON */
  async load(): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as T;
    } catch (err) {
      throw new Error(`state file ${this.#path} is not JSON: ${(err as Error).message}`);
    }
  }

  /** Replaces the document atomically (see the module comment). */
  async save(value: T): Promise<void> {
    const tmp = join(dirname(this.#path), `.${randomBytes(6).toString('hex')}.tmp`);
    const fd = await open(tmp, 'w', 0o600);
    try {
      await fd.writeFile(`${JSON.stringify(value)}\n`);
      await fd.sync();
    } finally {
      await fd.close();
    }
    try {
      await rename(tmp, this.#path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    const dir = await open(dirname(this.#path), 'r').catch(() => undefined);
    if (dir) {
      await dir.sync().catch(() => {});
      await dir.close();
    }
  }
}
