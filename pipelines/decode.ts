import { validateEvent } from './events/schema.js';
import type { TelemetryEvent } from './events/types.js';

/** Limits applied before an event is accepted. */
export interface DecodeLimits {
  /** Largest accepted payload, bytes. */
  maxBytes: number;
  /** How far before `now` an event time may lie, ms (older is absurd, e.g. a zeroed clock). */
  maxPastMs: number;
  /** How far after `now` an event time may lie, ms (clock skew allowance). */
  maxFutureMs: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxBytes: 64 * 1024, maxPastMs: 400 * 24 * 3600 * 1000, maxFutureMs: 5 * 60 * 1000 };

/**
 * The limits of a replay of history (`sluice replay`): events of any age (the age bound belongs to live
 * ingest, where a time far in the past is a broken clock); the rest as {@link DEFAULT_DECODE_LIMITS}.
 */
export const HISTORY_DECODE_LIMITS: DecodeLimits = { ...DEFAULT_DECODE_LIMITS, maxPastMs: Number.POSITIVE_INFINITY };

/**
 * Times below this, ms, are refused whatever the limits: 10¹¹ ms is 1973-03-03, before any contact
 * center's telemetry, while 10¹¹ *seconds* is the year 5138 — so a time below it is a time in seconds (or
 * a zeroed clock), never a real one in milliseconds.
 */
export const MIN_EPOCH_MS = 1e11;
/** From here (1973-03-03 in seconds) a time below {@link MIN_EPOCH_MS} is told as "looks like seconds". */
const SECONDS_FROM = 1e8;

/** Why an input was refused: a short stable `code` for metrics plus a human `reason`. */
export type DecodeResult =
  | { ok: true; event: TelemetryEvent }
  | { ok: false; code: 'oversized' | 'malformed' | 'schema' | 'timestamp'; reason: string };

/** Why `time` (epoch ms, named `field`) is implausible against `now`; undefined when plausible. */
function checkTime(field: string, time: number, now: number, limits: DecodeLimits): string | undefined {
  if (time < MIN_EPOCH_MS) {
    if (time >= SECONDS_FROM)
      return `${field} ${time} is not epoch milliseconds (looks like seconds: ${new Date(time * 1000).toISOString()}); epoch milliseconds expected`;
    return `${field} ${time} is before 1973-03-03: epoch milliseconds expected`;
  }
  if (time < now - limits.maxPastMs) return `${field} ${time} is more than ${limits.maxPastMs} ms before now (${now})`;
  if (time > now + limits.maxFutureMs) return `${field} ${time} is more than ${limits.maxFutureMs} ms after now (${now})`;
  return undefined;
}

/**
 * Checks a parsed event's times against `now` — `ts`, and an interval report's `intervalStart` — within
 * the same bounds; undefined when plausible.
 */
export function checkTimestamp(event: TelemetryEvent, now: number, limits: DecodeLimits): string | undefined {
  return (
    checkTime('ts', event.ts, now, limits) ??
    (event.source === 'interval' ? checkTime('body.intervalStart', event.body.intervalStart, now, limits) : undefined)
  );
}

/** Validates an already-parsed value (HTTP ingest) as a normalized event. */
export function decodeValue(value: unknown, now: number, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  const v = validateEvent(value);
  if (!v.ok) return { ok: false, code: 'schema', reason: v.reason };
  const bad = checkTimestamp(v.event, now, limits);
  if (bad) return { ok: false, code: 'timestamp', reason: bad };
  return v;
}

/**
 * Decodes Sluice's own JSON encoding of a normalized event. Never throws: every failure comes back
 * with the reason, for the dead-letter sink — absurd nesting included (`JSON.parse` does not recurse,
 * and the schema refuses at the first level that is not what it expects, without descending).
 */
export function decodeJson(bytes: Buffer, now: number, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): DecodeResult {
  if (bytes.length > limits.maxBytes)
    return { ok: false, code: 'oversized', reason: `payload of ${bytes.length} bytes exceeds ${limits.maxBytes}` };
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, code: 'malformed', reason: `not JSON: ${(err as Error).message}` };
  }
  return decodeValue(value, now, limits);
}
