/**
 * A client that spreads requests over the instances of a role the way a load balancer in front of them
 * would: round robin; an instance that refuses the connection (or drops it) is taken out of rotation and
 * the request goes to the next one; an instance out of rotation comes back once its `/readyz` answers 200
 * (the balancer's health check, polled in the background).
 */

/** One answer, with the instance that gave it. */
export interface Answer<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** Base URL of the instance that answered. */
  readonly instance: string;
  /** Instances tried before this one answered (connection refused or dropped). */
  readonly failovers: number;
}

/** Network errors a balancer treats as "this backend is gone": the request goes to another one. */
function isConnectionError(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  const code = cause?.code ?? (err as { code?: string }).code;
  return (
    code === 'ECONNREFUSED' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    code === 'UND_ERR_SOCKET' ||
    code === 'UND_ERR_CLOSED' ||
    (err instanceof TypeError && /fetch failed/.test(err.message))
  );
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The instances of one role behind a balancer. */
export class Pool {
  readonly #up = new Set<string>();
  readonly #urls: string[] = [];
  #next = 0;
  #checker: ReturnType<typeof setInterval> | undefined;
  /** Requests answered, by instance. */
  readonly served = new Map<string, number>();
  /** Times a request was moved to another instance because its first one refused or dropped the connection. */
  failovers = 0;

  readonly timeoutMs: number;
  readonly #healthKey: string | undefined;

  /** `healthKey`: the API key `/readyz` is asked with; `timeoutMs`: a request's deadline (default 30 s). */
  constructor(
    readonly name: string,
    urls: readonly string[],
    o: { healthKey?: string; timeoutMs?: number } = {},
  ) {
    this.timeoutMs = o.timeoutMs ?? 30_000;
    this.#healthKey = o.healthKey;
    for (const u of urls) this.add(u);
  }

  /** Adds an instance (in rotation at once). */
  add(url: string): void {
    if (!this.#urls.includes(url)) this.#urls.push(url);
    this.#up.add(url);
  }

  /** Instances in rotation now. */
  get up(): string[] {
    return this.#urls.filter((u) => this.#up.has(u));
  }

  get urls(): readonly string[] {
    return this.#urls;
  }

  /** Polls `/readyz` of the instances out of rotation every `everyMs` and puts back those that answer 200. */
  startHealthChecks(everyMs = 500): void {
    this.#checker ??= setInterval(() => {
      for (const u of this.#urls) {
        if (this.#up.has(u)) continue;
        fetch(`${u}/readyz`, {
          headers: this.#healthKey ? { authorization: `Bearer ${this.#healthKey}` } : {},
          signal: AbortSignal.timeout(1_000),
        })
          .then((r) => {
            if (r.status === 200) this.#up.add(u);
          })
          .catch(() => {});
      }
    }, everyMs);
    this.#checker.unref();
  }

  stopHealthChecks(): void {
    if (this.#checker) clearInterval(this.#checker);
    this.#checker = undefined;
  }

  /** Takes an instance out of rotation (as a failed health check would). */
  markDown(url: string): void {
    this.#up.delete(url);
  }

  #pick(skip: ReadonlySet<string>): string | undefined {
    const n = this.#urls.length;
    for (let i = 0; i < n; i++) {
      const u = this.#urls[(this.#next + i) % n]!;
      if (this.#up.has(u) && !skip.has(u)) {
        this.#next = (this.#next + i + 1) % n;
        return u;
      }
    }
    return undefined;
  }

  /**
   * Sends a request to the next instance in rotation; on a refused or dropped connection, to the next,
   * until every instance was tried; when none is in rotation, waits for the health check up to
   * `waitMs`. A request that reached an instance and was answered is never resent, whatever its status.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    o: { key?: string; body?: unknown; waitMs?: number; headers?: Record<string, string> } = {},
  ): Promise<Answer<T>> {
    const deadline = Date.now() + (o.waitMs ?? 30_000);
    const tried = new Set<string>();
    let failovers = 0;
    let last: unknown;
    for (;;) {
      const url = this.#pick(tried);
      if (url === undefined) {
        if (Date.now() > deadline) {
          throw new Error(
            `${this.name}: no instance answered ${method} ${path} (tried ${[...tried].join(', ') || 'none'}): ${(last as Error)?.message ?? 'none in rotation'}`,
          );
        }
        tried.clear();
        await sleep(100);
        continue;
      }
      tried.add(url);
      try {
        const res = await fetch(`${url}${path}`, {
          method,
          headers: {
            ...(o.key ? { authorization: `Bearer ${o.key}` } : {}),
            ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...o.headers,
          },
          body: o.body === undefined ? undefined : JSON.stringify(o.body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        const text = await res.text();
        let body: unknown = text;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        this.served.set(url, (this.served.get(url) ?? 0) + 1);
        return { status: res.status, body: body as T, instance: url, failovers };
      } catch (err) {
        if (!isConnectionError(err)) throw err;
        last = err;
        this.#up.delete(url);
        failovers++;
        this.failovers++;
      }
    }
  }

  /** Sends the same request to every instance (in rotation or not); for reading each one's view. */
  async each<T = unknown>(method: string, path: string, key?: string): Promise<{ instance: string; status: number; body: T }[]> {
    return Promise.all(
      this.#urls.map(async (u) => {
        try {
          const res = await fetch(`${u}${path}`, {
            method,
            headers: key ? { authorization: `Bearer ${key}` } : {},
            signal: AbortSignal.timeout(this.timeoutMs),
          });
          const text = await res.text();
          return { instance: u, status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
        } catch {
          return { instance: u, status: 0, body: undefined as T };
        }
      }),
    );
  }
}
