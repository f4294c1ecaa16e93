/**
 * Credentials inside service URLs (`redis://:password@host`, `http://user:password@clickhouse`,
 * `…?password=`) kept out of logs, banners and error messages.
 */

/** Query parameters whose values are treated as secrets. */
const SECRET_PARAM = /pass|pwd|secret|token|key|auth|sig|credential/i;
const HIDDEN = '***';

/**
 * The URL with its password and secret-looking query values replaced by `***` (the user name
 * stays, it helps to tell connections apart). Text that is not a URL has any `user:pass@` hidden.
 *
 * @example redactUrl('redis://:hunter2@cache:6379/0') // 'redis://:***@cache:6379/0'
 */
export function redactUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return raw.replace(/\/\/[^@/\s]*@/g, `//${HIDDEN}@`);
  }
  let hidden = false;
  if (url.password !== '') {
    url.password = HIDDEN;
    hidden = true;
  }
  for (const name of new Set(url.searchParams.keys())) {
    if (SECRET_PARAM.test(name)) {
      url.searchParams.set(name, HIDDEN);
      hidden = true;
    }
  }
  // Nothing to hide: the URL as it was written (URL's serialisation would add a '/' to a bare host).
  return hidden ? url.toString() : raw;
}

/**
 * The secrets a URL carries, as they may appear in text: the password (raw and decoded) and the
 * values of secret-looking query parameters. For {@link redactSecrets}.
 */
export function urlSecrets(raw: string | null | undefined): string[] {
  if (!raw) return [];
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return [];
  }
  const out: string[] = [];
  if (url.password !== '') out.push(url.password, safeDecode(url.password));
  for (const [name, value] of url.searchParams) if (SECRET_PARAM.test(name) && value !== '') out.push(value, encodeURIComponent(value));
  return out;
}

/**
 * `text` with every occurrence of each secret replaced by `***`: the last line of defence for
 * messages a library built from a URL (secrets shorter than 4 characters are left, replacing them
 * would garble the text; {@link redactUrl} still hides them where URLs are printed).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of [...new Set(secrets)].sort((a, b) => (b?.length ?? 0) - (a?.length ?? 0))) {
    if (s !== undefined && s.length >= 4) out = out.split(s).join(HIDDEN);
  }
  return out;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
