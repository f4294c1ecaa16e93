import { decodeJson, DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../decode.js';
import type { Decoder } from './types.js';

/**
 * Sluice's own JSON encoding of a normalized event (one event per message, or per line of an NDJSON
 * file), decoded by {@link decodeJson} unchanged: the envelope carries its own tenant, so
 * `ctx.tenant` is not used. `limits` sizes are bytes, times ms.
 */
export function createJsonDecoder(limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Decoder {
  return {
    name: 'json',
    description: "Sluice's normalized events as JSON, one per message or line",
    decode(input, ctx) {
      const bytes = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
      const r = decodeJson(bytes, ctx.now, limits);
      if (r.ok) return [{ ok: true, event: r.event }];
      return [{ ok: false, code: r.code, reason: r.reason, payload: bytes, ...(ctx.lineNo === undefined ? {} : { lineNo: ctx.lineNo }) }];
    },
  };
}

/** The `json` decoder with the default limits. */
export const jsonDecoder: Decoder = createJsonDecoder();
