import { systemClock, type Clock } from '../clock.js';
import type { StateStore } from './types.js';

interface Entry {
  value: string;
  expiresAt: number;
}

/** In-memory twin of the Redis state store for one process; TTLs follow the injected clock. */
export class MemoryStateStore implements StateStore {
  #kv = new Map<string, Entry>();
  #maps = new Map<string, { fields: Map<string, string>; expiresAt: number }>();
  #subs = new Map<string, Set<(m: string) => void>>();

  constructor(private readonly clock: Clock = systemClock) {}

  #live(key: string): Entry | undefined {
    const e = this.#kv.get(key);
    if (e && e.expiresAt <= this.clock.now()) {
      this.#kv.delete(key);
      return undefined;
    }
    return e;
  }

  #expiry(ttlMs?: number): number {
    return ttlMs === undefined ? Number.POSITIVE_INFINITY : this.clock.now() + ttlMs;
  }

  async get(key: string): Promise<string | null> {
    return this.#live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs?: number): Promise<void> {
    this.#kv.set(key, { value, expiresAt: this.#expiry(ttlMs) });
  }

  async del(key: string): Promise<void> {
    this.#kv.delete(key);
    this.#maps.delete(key);
  }

  async incrBy(key: string, n: number, ttlMs?: number): Promise<number> {
    const e = this.#live(key);
    const next = (e ? Number(e.value) : 0) + n;
    this.#kv.set(key, { value: String(next), expiresAt: e ? e.expiresAt : this.#expiry(ttlMs) });
    return next;
  }

  async setFields(key: string, fields: Readonly<Record<string, string>>, ttlMs?: number): Promise<void> {
    let m = this.#maps.get(key);
    if (m && m.expiresAt <= this.clock.now()) m = undefined;
    if (!m) this.#maps.set(key, (m = { fields: new Map(), expiresAt: Number.POSITIVE_INFINITY }));
    for (const [f, v] of Object.entries(fields)) m.fields.set(f, v);
    if (ttlMs !== undefined) m.expiresAt = this.#expiry(ttlMs);
  }

  async delFields(key: string, fields: readonly string[]): Promise<void> {
    const m = this.#maps.get(key);
    if (!m) return;
    for (const f of fields) m.fields.delete(f);
    if (m.fields.size === 0) this.#maps.delete(key);
  }

  async getFields(key: string): Promise<Record<string, string>> {
    const m = this.#maps.get(key);
    if (!m) return {};
    if (m.expiresAt <= this.clock.now()) {
      this.#maps.delete(key);
      return {};
    }
    return Object.fromEntries(m.fields);
  }

  async acquireLease(key: string, owner: string, ttlMs: number): Promise<boolean> {
    const e = this.#live(key);
    if (e && e.value !== owner) return false;
    this.#kv.set(key, { value: owner, expiresAt: this.#expiry(ttlMs) });
    return true;
  }

  async releaseLease(key: string, owner: string): Promise<boolean> {
    const e = this.#live(key);
    if (!e || e.value !== owner) return false;
    this.#kv.delete(key);
    return true;
  }

  async publish(channel: string, message: string): Promise<number> {
    const subs = this.#subs.get(channel);
    for (const fn of subs ?? []) queueMicrotask(() => fn(message));
    return subs?.size ?? 0;
  }

  async subscribe(channel: string, onMessage: (message: string) => void): Promise<() => Promise<void>> {
    let s = this.#subs.get(channel);
    if (!s) this.#subs.set(channel, (s = new Set()));
    s.add(onMessage);
    return async () => {
      s.delete(onMessage);
    };
  }

  async ping(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {
    this.#subs.clear();
  }
}
