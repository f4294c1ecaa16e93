/**
 * Following a log file the way `tail -F` does, with a position that survives a restart: complete lines in
 * order, each with its byte offset, through rotation by rename (the old file is read to its end before the
 * new one), truncation in place (`copytruncate`: read again from the start) and replacement while nobody
 * was reading (the old file found again by its inode beside the new one, read from the saved offset).
 *
 * A file is known by its first line (a hash of it, {@link FollowPosition.head}): a file cut back and written
 * again under the same inode starts with another line, so it is read from the start.
 */
import { createHash } from 'node:crypto';
import { open, readdir, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Where a follower stands: enough to find the same file and byte again after a restart. */
export interface FollowPosition {
  /** Device and inode of the file the offset is in. */
  readonly dev: number;
  readonly ino: number;
  /** Next byte to read (the end of the last line taken). */
  readonly offset: number;
  /** sha1 (hex) of the file's first line with its newline; empty while no line is complete. */
  readonly head: string;
  /** Bytes the head covers. */
  readonly headLen: number;
}

/** One complete line. */
export interface FollowedLine {
  /** The line without its line break (a trailing CR is removed too). */
  readonly text: string;
  /** Byte offset of the line in its file. */
  readonly offset: number;
  /** The file's identity for ids: 16 hex of the hash of its first line (stable through rename and restart). */
  readonly fileId: string;
  /** The position just after this line (what to save once it is handled). */
  readonly after: FollowPosition;
}

/** Something the follower noticed, for logs and counters. */
export type FollowNotice =
  | { kind: 'rotated'; from: number; to: number }
  | { kind: 'truncated'; ino: number; at: number }
  | { kind: 'resumed'; ino: number; offset: number; path: string }
  | { kind: 'lost'; ino: number; offset: number }
  | { kind: 'oversized'; offset: number; bytes: number };

/** Options of {@link FileFollower}. */
export interface FollowOptions {
  /** Longest line kept, bytes (default 64 KiB): a longer one is skipped whole and noticed as `oversized`. */
  readonly maxLineBytes?: number;
  /** Bytes read at once (default 64 KiB). */
  readonly chunkBytes?: number;
  /** Told of rotations, truncations, resumptions. */
  readonly onNotice?: (n: FollowNotice) => void;
}

const HEAD_MAX = 4096;
const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

interface Current {
  fd: FileHandle;
  dev: number;
  ino: number;
  /** Next byte to read from the file. */
  readAt: number;
  /** Bytes read but not yet a complete line, starting at `pendingAt`. */
  pending: Buffer;
  pendingAt: number;
  head: string;
  headLen: number;
  /** True once `path` names another file (or none): read this one to its end, then move on. */
  draining: boolean;
  /** Skipping the rest of an oversized line. */
  skipping: boolean;
}

/** Follows `path`; see the module comment. Not safe for concurrent `read` calls. */
export class FileFollower {
  readonly #path: string;
  readonly #maxLine: number;
  readonly #chunk: number;
  readonly #notice: (n: FollowNotice) => void;
  #cur: Current | undefined;
  /** Inode of the last file held, to tell a rotation. */
  #lastIno: number | undefined;
  /** Where to start the file `path` names when it is first opened (a saved position), else 0. */
  #resume: FollowPosition | undefined;

  constructor(path: string, o: FollowOptions = {}) {
    this.#path = path;
    this.#maxLine = o.maxLineBytes ?? 64 * 1024;
    this.#chunk = o.chunkBytes ?? 64 * 1024;
    this.#notice = o.onNotice ?? (() => {});
  }

  /**
   * Starts from a saved position (or the start of the file): the file it names is found at `path`, or —
   * rotated while the follower was stopped — beside it under another name with the same inode and first
   * line; it is read on from the saved offset, then `path` from its start. A file cut back or replaced in
   * the meantime is read from its start, noticed as `truncated` or `lost`.
   */
  async start(saved?: FollowPosition): Promise<void> {
    if (!saved) return;
    const here = await stat(this.#path).catch(() => undefined);
    if (here && here.ino === saved.ino && here.dev === saved.dev) {
      if (here.size >= saved.offset && (await this.#headMatches(this.#path, saved))) {
        this.#resume = saved;
        return;
      }
      this.#notice({ kind: 'truncated', ino: saved.ino, at: saved.offset });
      return;
    }
    const dir = dirname(this.#path);
    const base = basename(this.#path);
    const names = await readdir(dir).catch(() => [] as string[]);
    for (const name of names.filter((n) => n !== base && n.startsWith(base)).slice(0, 1000)) {
      const p = join(dir, name);
      const s = await stat(p).catch(() => undefined);
      if (!s || s.ino !== saved.ino || s.dev !== saved.dev || s.size < saved.offset || !(await this.#headMatches(p, saved))) continue;
      const fd = await open(p, 'r');
      this.#lastIno = s.ino;
      this.#cur = {
        fd,
        dev: s.dev,
        ino: s.ino,
        readAt: saved.offset,
        pending: Buffer.alloc(0),
        pendingAt: saved.offset,
        head: saved.head,
        headLen: saved.headLen,
        draining: true,
        skipping: false,
      };
      this.#notice({ kind: 'resumed', ino: s.ino, offset: saved.offset, path: p });
      return;
    }
    this.#notice({ kind: 'lost', ino: saved.ino, offset: saved.offset });
  }

  /** The complete lines readable now, at most `maxLines`, in file order (rotated files first). */
  async read(maxLines: number): Promise<FollowedLine[]> {
    const out: FollowedLine[] = [];
    // Bounded: each turn either reads bytes, or moves to another file, or stops.
    for (let turn = 0; turn < 10_000 && out.length < maxLines; turn++) {
      if (!this.#cur && !(await this.#openPath())) break;
      const cur = this.#cur!;
      if (!cur.draining && !(await this.#checkInPlace(cur))) continue;
      const buf = Buffer.alloc(this.#chunk);
      const { bytesRead } = await cur.fd.read(buf, 0, this.#chunk, cur.readAt);
      if (bytesRead > 0) {
        cur.readAt += bytesRead;
        this.#split(cur, buf.subarray(0, bytesRead), out, maxLines);
        continue;
      }
      // At the end of the file: has `path` moved on to another file?
      if (cur.draining || (await this.#replaced(cur))) {
        if (cur.pending.length > 0 && !cur.skipping) this.#emit(cur, Buffer.concat([cur.pending, Buffer.from('\n')]), cur.pendingAt, out);
        await cur.fd.close();
        this.#cur = undefined;
        continue;
      }
      break;
    }
    return out;
  }

  /** Closes the file held. */
  async close(): Promise<void> {
    await this.#cur?.fd.close();
    this.#cur = undefined;
  }

  async #openPath(): Promise<boolean> {
    let fd: FileHandle;
    try {
      fd = await open(this.#path, 'r');
    } catch {
      return false;
    }
    const s = await fd.stat();
    const r = this.#resume;
    this.#resume = undefined;
    const from = r && r.ino === s.ino && r.dev === s.dev ? r : undefined;
    const prev = this.#lastIno;
    this.#lastIno = s.ino;
    this.#cur = {
      fd,
      dev: s.dev,
      ino: s.ino,
      readAt: from?.offset ?? 0,
      pending: Buffer.alloc(0),
      pendingAt: from?.offset ?? 0,
      head: from?.head ?? '',
      headLen: from?.headLen ?? 0,
      draining: false,
      skipping: false,
    };
    if (prev !== undefined && prev !== s.ino) this.#notice({ kind: 'rotated', from: prev, to: s.ino });
    return true;
  }

  /** False (and back to the start) when the file was cut back or rewritten under us. */
  async #checkInPlace(cur: Current): Promise<boolean> {
    const s = await cur.fd.stat();
    const cut = s.size < cur.readAt;
    let rewritten = false;
    if (!cut && cur.head !== '') {
      const b = Buffer.alloc(cur.headLen);
      const { bytesRead } = await cur.fd.read(b, 0, cur.headLen, 0);
      rewritten = bytesRead < cur.headLen || sha1(b) !== cur.head;
    }
    if (!cut && !rewritten) return true;
    this.#notice({ kind: 'truncated', ino: cur.ino, at: cur.readAt });
    Object.assign(cur, { readAt: 0, pending: Buffer.alloc(0), pendingAt: 0, head: '', headLen: 0, skipping: false });
    return false;
  }

  /** True when `path` now names another file, or none. */
  async #replaced(cur: Current): Promise<boolean> {
    const s = await stat(this.#path).catch(() => undefined);
    if (s && s.ino === cur.ino && s.dev === cur.dev) return false;
    // Renamed away: the new file may not exist yet; this one is read to its end first either way.
    if (!s) return false;
    cur.draining = true;
    return true;
  }

  async #headMatches(path: string, p: FollowPosition): Promise<boolean> {
    if (p.head === '') return true;
    const fd = await open(path, 'r').catch(() => undefined);
    if (!fd) return false;
    try {
      const b = Buffer.alloc(p.headLen);
      const { bytesRead } = await fd.read(b, 0, p.headLen, 0);
      return bytesRead === p.headLen && sha1(b) === p.head;
    } finally {
      await fd.close();
    }
  }

  #split(cur: Current, bytes: Buffer, out: FollowedLine[], maxLines: number): void {
    let data = cur.pending.length > 0 ? Buffer.concat([cur.pending, bytes]) : bytes;
    let at = cur.pendingAt;
    for (;;) {
      const nl = data.indexOf(0x0a);
      if (nl < 0) break;
      const line = data.subarray(0, nl + 1);
      if (cur.skipping) cur.skipping = false;
      else if (line.length > this.#maxLine) this.#notice({ kind: 'oversized', offset: at, bytes: line.length });
      else this.#emit(cur, line, at, out);
      at += line.length;
      data = data.subarray(nl + 1);
      if (out.length >= maxLines) {
        // Keep the rest unread: read it again next time from here.
        cur.readAt = at;
        data = Buffer.alloc(0);
        break;
      }
    }
    if (data.length > this.#maxLine) {
      if (!cur.skipping) this.#notice({ kind: 'oversized', offset: at, bytes: data.length });
      cur.skipping = true;
      at += data.length;
      data = Buffer.alloc(0);
    }
    cur.pending = Buffer.from(data);
    cur.pendingAt = at;
  }

  #emit(cur: Current, line: Buffer, offset: number, out: FollowedLine[]): void {
    if (offset === 0 && cur.head === '') {
      const head = line.subarray(0, Math.min(line.length, HEAD_MAX));
      cur.head = sha1(head);
      cur.headLen = head.length;
    }
    let text = line.toString('utf8');
    text = text.endsWith('\r\n') ? text.slice(0, -2) : text.slice(0, -1);
    const after: FollowPosition = { dev: cur.dev, ino: cur.ino, offset: offset + line.length, head: cur.head, headLen: cur.headLen };
    out.push({ text, offset, fileId: cur.head.slice(0, 16), after });
  }
}
