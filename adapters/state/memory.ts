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
  #queues = new Map<string, Map<string, number>>();
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

  async schedule(queue: string, member: string, dueAt: number): Promise<void> {
    let q = this.#queues.get(queue);
    if (!q) this.#queues.set(queue, (q = new Map()));
    q.set(member, dueAt);
  }

  async unschedule(queue: string, member: string): Promise<boolean> {
    return this.#queues.get(queue)?.delete(member) ?? false;
  }

  async claimDue(queue: string, now: number, limit: number): Promise<{ member: string; dueAt: number }[]> {
    const q = this.#queues.get(queue);
    if (!q) return [];
    const due = [...q].filter(([, at]) => at <= now).sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : 1)).slice(0, limit);
    for (const [m] of due) q.delete(m);
    return due.map(([member, dueAt]) => ({ member, dueAt }));
  }

  async publish(channel: string, message: string): Promise<void> {
    for (const fn of this.#subs.get(channel) ?? []) queueMicrotask(() => fn(message));
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
