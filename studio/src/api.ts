/**
 * The studio's client of the Sluice API: every request carries the key the user gave (header
 * `X-API-Key`), and a platform key names the tenant (`?tenant=`). Errors come back as the API's
 * `{error: {code, message, field?, issues?}}`.
 */

/** An API refusal. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly issues: { path: string; message: string }[];

  constructor(status: number, code: string, message: string, issues: { path: string; message: string }[] = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

/** Who the key is (`GET /v1/studio/session`). */
export interface Session {
  tenant: string;
  platform: boolean;
  role: string;
  key: string;
  user?: string;
  canEdit: boolean;
}

/** A client bound to one key and tenant. */
export class Api {
  readonly key: string;
  readonly tenant: string | undefined;

  constructor(key: string, tenant?: string) {
    this.key = key;
    this.tenant = tenant;
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const sep = path.includes('?') ? '&' : '?';
    const url = this.tenant ? `${path}${sep}tenant=${encodeURIComponent(this.tenant)}` : path;
    const headers: Record<string, string> = {};
    if (this.key) headers['x-api-key'] = this.key;
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, { method, headers, ...(body !== undefined && { body: JSON.stringify(body) }) });
    const text = await res.text();
    let data: unknown;
    try {
      data = text ? JSON.parse(text) : {};
    } catch {
      data = { error: { code: 'SLUICE_ERR_HTTP', message: text.slice(0, 200) } };
    }
    if (!res.ok) {
      const e = ((data as { error?: { code?: string; message?: string; issues?: { path: string; message: string }[] } }).error ?? {}) as {
        code?: string;
        message?: string;
        issues?: { path: string; message: string }[];
      };
      throw new ApiError(res.status, e.code ?? 'SLUICE_ERR_HTTP', e.message ?? `HTTP ${res.status}`, e.issues ?? []);
    }
    return data as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
}
