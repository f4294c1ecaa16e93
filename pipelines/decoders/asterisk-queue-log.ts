import { createHash } from 'node:crypto';
import { DEFAULT_DECODE_LIMITS } from '../decode.js';
import { validateEvent } from '../events/schema.js';
import type { AgentBody, AgentState, ExtensionState, SkillGroupBody, TelemetryEvent } from '../events/types.js';
import type { DecodeContext, DecodedItem, DecodeIgnored, Decoder } from './types.js';

/** Limits of {@link createAsteriskQueueLogDecoder}. */
export interface AsteriskQueueLogOptions {
  /** Longest accepted line, bytes. */
  maxLineBytes?: number;
  /** How far after `ctx.now` an event time may lie, ms (clock skew allowance). */
  maxFutureMs?: number;
}

/**
 * Events recognised and deliberately not mapped: they say nothing about a call's time in a queue or an
 * agent's state (PAUSEALL/UNPAUSEALL come with a PAUSE/UNPAUSE line per queue, which is mapped). Decoded
 * as `ignored` (code `informational`), never as errors.
 */
export const ASTERISK_INFORMATIONAL_EVENTS: readonly string[] = [
  'QUEUESTART',
  'CONFIGRELOAD',
  'PENALTY',
  'RINGINUSE',
  'AGENTDUMP',
  'SYSCOMPAT',
  'OUTCALL',
  'PAUSEALL',
  'UNPAUSEALL',
];

const EPOCH_2000 = 946_684_800;
const MAX_DURATION_MS = 7 * 24 * 3600 * 1000;
const MAX_UNIQUEID = 64;

/** A problem with one line; caught inside `decode`, never escapes it (not an Error: no stack to build per bad line). */
class LineError {
  constructor(
    readonly code: string,
    readonly reason: string,
  ) {}
}

interface Line {
  epoch: string;
  ts: number;
  uniqueid: string;
  queue: string;
  agent: string;
  event: string;
  data: string[];
  /** Deterministic id prefix: the same line always yields the same ids. */
  idBase: string;
  tenant: string;
}

/** Data fields present: trailing empty ones do not count (database exports write all five `dataN` columns). */
function present(l: Line): number {
  let n = l.data.length;
  while (n > 0 && l.data[n - 1] === '') n--;
  return n;
}

const plural = (n: number) => `${n} data field${n === 1 ? '' : 's'}`;

/** Names of the data fields an event needs, for "ABANDON needs 3 data fields (…)" messages. */
function need(l: Line, names: readonly string[]): void {
  if (present(l) < names.length)
    throw new LineError('truncated', `${l.event} needs ${plural(names.length)} (${names.join('|')}), got ${present(l)}`);
}

/**
 * The form of an event whose data changed over Asterisk's generations (`forms` from the shortest, each the
 * names of its fields): the one with as many fields as the line has, or the longest when the line has more
 * (a pipe inside the last field cannot be told from a separator). A count between two forms is refused,
 * naming every form. Returns how many fields the form has.
 */
function form(l: Line, forms: readonly (readonly string[])[]): number {
  const n = present(l);
  const longest = forms[forms.length - 1]!.length;
  if (n >= longest) return longest;
  if (forms.some((f) => f.length === n)) return n;
  const each = forms.map((f, i) => `${i === 0 ? plural(f.length) : f.length} (${f.join('|')})`);
  const list = each.length === 2 ? each.join(' or ') : `${each.slice(0, -1).join(', ')} or ${each[each.length - 1]}`;
  throw new LineError('truncated', `${l.event} takes ${list}, got ${n}`);
}

/** A whole number ≥ 0 of `unit` from data field `i`, as ms. */
function duration(l: Line, i: number, name: string, unit: 's' | 'ms'): number {
  const raw = l.data[i] ?? '';
  if (!/^\d{1,15}$/.test(raw))
    throw new LineError('malformed', `${l.event} ${name} '${raw}' is not a whole number of ${unit === 's' ? 'seconds' : 'milliseconds'}`);
  const ms = unit === 's' ? Number(raw) * 1000 : Number(raw);
  if (ms > MAX_DURATION_MS) throw new LineError('malformed', `${l.event} ${name} ${raw} ${unit} is more than 7 days`);
  return ms;
}

function requireQueue(l: Line): void {
  if (l.queue === '' || l.queue === 'NONE') throw new LineError('malformed', `${l.event} needs a queue, got '${l.queue}'`);
}
function requireCall(l: Line): void {
  if (l.uniqueid === '' || l.uniqueid === 'NONE')
    throw new LineError('malformed', `${l.event} needs the caller's uniqueid, got '${l.uniqueid}'`);
}
function requireAgent(l: Line): void {
  if (l.agent === '' || l.agent === 'NONE') throw new LineError('malformed', `${l.event} needs an agent, got '${l.agent}'`);
}

function call(l: Line, type: SkillGroupBody['type'], extra: Partial<SkillGroupBody> = {}): TelemetryEvent {
  requireQueue(l);
  requireCall(l);
  const body: SkillGroupBody = { skillGroup: l.queue, callId: l.uniqueid, type, ...extra };
  return { v: 1, tenant: l.tenant, source: 'skillgroup', id: l.idBase, ts: l.ts, body };
}

function agent(l: Line, state: AgentState, reason?: string): TelemetryEvent {
  requireAgent(l);
  const body: AgentBody = { agentId: l.agent, state };
  if (reason) body.reason = reason;
  if (l.queue !== '' && l.queue !== 'NONE') body.skillGroups = [l.queue];
  return { v: 1, tenant: l.tenant, source: 'agent', id: l.idBase, ts: l.ts, body };
}

/** The member's device: queue_log names it by the member name. `atMs` is the event time, epoch ms. */
function device(l: Line, state: ExtensionState, atMs: number, suffix: string): TelemetryEvent {
  requireAgent(l);
  return {
    v: 1,
    tenant: l.tenant,
    source: 'extension',
    id: `${l.idBase}:${suffix}`,
    ts: atMs,
    body: { extension: l.agent, state, callId: l.uniqueid },
  };
}

/** Ringing that ended at the line's time after `ringMs`; nothing when the member did not ring at all. */
function rang(l: Line, ringMs: number, then: ExtensionState, thenSuffix: string): TelemetryEvent[] {
  requireAgent(l);
  if (ringMs === 0) return then === 'IDLE' ? [] : [device(l, then, l.ts, thenSuffix)];
  return [device(l, 'RINGING', l.ts - ringMs, 'ring'), device(l, then, l.ts, thenSuffix)];
}

const WAIT = ['position', 'original position', 'waittime'] as const;

/** Queue exits that are not abandons (EXITEMPTY, WITHDRAW): `reason` says how the call left. */
function exit(l: Line, reason: string): TelemetryEvent[] {
  need(l, WAIT);
  return [call(l, 'OVERFLOWED', { waitMs: duration(l, 2, 'waittime', 's'), reason })];
}

/** After a transfer or a completed call the member's device is no longer on this call. Times unknown: left out. */
function ended(
  l: Line,
  type: 'COMPLETED' | 'TRANSFERRED',
  hold: number | undefined,
  talk: number | undefined,
  reason?: string,
): TelemetryEvent[] {
  requireAgent(l);
  const extra: Partial<SkillGroupBody> = { agentId: l.agent };
  if (hold !== undefined) extra.waitMs = hold;
  if (talk !== undefined) extra.talkMs = talk;
  if (reason) extra.reason = reason;
  return [call(l, type, extra), device(l, 'IDLE', l.ts, 'idle')];
}

const HOLD = 'holdtime';
const BRIDGED = 'bridged channel uniqueid';
/** CONNECT: 1.2 `holdtime`; 1.4 adds the bridged channel's uniqueid; 1.6 and later add the ring time (s). */
const CONNECT_FORMS = [[HOLD], [HOLD, BRIDGED], [HOLD, BRIDGED, 'ringtime']] as const;
/** EXITWITHTIMEOUT: 1.2–1.4 (and later with the Queue `n` option) `position` only; 1.6 and later the full wait. */
const TIMEOUT_FORMS = [['position'], WAIT] as const;
/** EXITWITHKEY: 1.2–1.6 `key|position`; 1.8 and later add the original position and the wait. */
const KEY_FORMS = [
  ['key', 'position'],
  ['key', ...WAIT],
] as const;
/** TRANSFER: 1.2 `extension|context`; 1.4 adds hold and call time; 1.6 and later the original position. */
const TRANSFER_FORMS = [
  ['extension', 'context'],
  ['extension', 'context', HOLD, 'calltime'],
] as const;

const MAPPERS: Record<string, (l: Line) => TelemetryEvent[]> = {
  // url|callerid (1.2–1.6), then |original position (1.8), then |caller id name (log_cidname): none is needed.
  ENTERQUEUE: (l) => [call(l, 'OFFERED')],
  CONNECT: (l) => {
    const n = form(l, CONNECT_FORMS);
    requireAgent(l);
    const answered = call(l, 'ANSWERED', { waitMs: duration(l, 0, HOLD, 's'), agentId: l.agent });
    return [answered, ...rang(l, n === 3 ? duration(l, 2, 'ringtime', 's') : 0, 'BUSY', 'busy')];
  },
  // holdtime|calltime (1.0), then |original position (1.2 and later).
  COMPLETEAGENT: (l) => (
    need(l, [HOLD, 'calltime']), ended(l, 'COMPLETED', duration(l, 0, HOLD, 's'), duration(l, 1, 'calltime', 's'), 'agent')
  ),
  COMPLETECALLER: (l) => (
    need(l, [HOLD, 'calltime']), ended(l, 'COMPLETED', duration(l, 0, HOLD, 's'), duration(l, 1, 'calltime', 's'), 'caller')
  ),
  ABANDON: (l) => (need(l, WAIT), [call(l, 'ABANDONED', { waitMs: duration(l, 2, 'waittime', 's') })]),
  EXITWITHTIMEOUT: (l) => {
    const n = form(l, TIMEOUT_FORMS);
    return [call(l, 'OVERFLOWED', { ...(n === 3 ? { waitMs: duration(l, 2, 'waittime', 's') } : {}), reason: 'timeout' })];
  },
  EXITEMPTY: (l) => exit(l, 'empty'),
  // position|original position|waittime|withdraw info (16 and later).
  WITHDRAW: (l) => exit(l, 'withdraw'),
  EXITWITHKEY: (l) => {
    const n = form(l, KEY_FORMS);
    return [call(l, 'OVERFLOWED', { ...(n === 4 ? { waitMs: duration(l, 3, 'waittime', 's') } : {}), reason: 'key' })];
  },
  // 12 and later: extension|context|holdtime|calltime|original position.
  BLINDTRANSFER: (l) => (
    need(l, ['extension', 'context', HOLD, 'calltime']),
    ended(l, 'TRANSFERRED', duration(l, 2, HOLD, 's'), duration(l, 3, 'calltime', 's'), 'blind')
  ),
  TRANSFER: (l) => {
    const n = form(l, TRANSFER_FORMS);
    return n === 2
      ? ended(l, 'TRANSFERRED', undefined, undefined)
      : ended(l, 'TRANSFERRED', duration(l, 2, HOLD, 's'), duration(l, 3, 'calltime', 's'));
  },
  // 12 and later: method (BRIDGE|APP with one datum, LINK with two channels)|holdtime|calltime|original position.
  ATTENDEDTRANSFER: (l) => {
    const method = l.data[0] ?? '';
    const target = method === 'LINK' ? ['channel', 'channel'] : ['method data'];
    if (method !== 'BRIDGE' && method !== 'APP' && method !== 'LINK' && l.data.length > 0) {
      throw new LineError('malformed', `ATTENDEDTRANSFER method '${method}' is not BRIDGE, APP or LINK`);
    }
    need(l, ['method', ...target, HOLD, 'calltime']);
    const at = 1 + target.length;
    return ended(l, 'TRANSFERRED', duration(l, at, HOLD, 's'), duration(l, at + 1, 'calltime', 's'), 'attended');
  },
  // 1.4 and later; RINGCANCELED 16 and later. Ring time in milliseconds.
  RINGNOANSWER: (l) => (need(l, ['ring time ms']), rang(l, duration(l, 0, 'ring time', 'ms'), 'IDLE', 'idle')),
  RINGCANCELED: (l) => (need(l, ['ring time ms']), rang(l, duration(l, 0, 'ring time', 'ms'), 'IDLE', 'idle')),
  // chan_agent (1.2–1.8: AGENTLOGIN channel, AGENTCALLBACKLOGIN exten@context, …LOGOFF …|logintime[|reason]);
  // app_agent_pool (12 and later) writes AGENTLOGIN/AGENTLOGOFF the same way.
  AGENTLOGIN: (l) => [agent(l, 'AVAILABLE')],
  AGENTCALLBACKLOGIN: (l) => [agent(l, 'AVAILABLE')],
  AGENTLOGOFF: (l) => [agent(l, 'LOGGED_OUT')],
  AGENTCALLBACKLOGOFF: (l) => [agent(l, 'LOGGED_OUT')],
  // Empty (1.4–1.6) or PAUSED (1.8 and later, a member added paused).
  ADDMEMBER: (l) => {
    const flag = l.data[0] ?? '';
    if (flag !== '' && flag !== 'PAUSED') throw new LineError('malformed', `ADDMEMBER data must be PAUSED or empty, got '${flag}'`);
    return [agent(l, flag === 'PAUSED' ? 'AUX' : 'AVAILABLE')];
  },
  REMOVEMEMBER: (l) => [agent(l, 'LOGGED_OUT')],
  // Empty (1.2–1.4) or the pause reason (1.6 and later).
  PAUSE: (l) => [agent(l, 'AUX', l.data[0])],
  UNPAUSE: (l) => [agent(l, 'AVAILABLE')],
};

/** Every event name the decoder recognises (mapped or informational). */
export const ASTERISK_KNOWN_EVENTS: readonly string[] = [...Object.keys(MAPPERS), ...ASTERISK_INFORMATIONAL_EVENTS];

/**
 * Splits and checks one queue_log line; undefined for a blank line. Pipes inside the last data field
 * cannot be told from separators, so the data are positional and extra trailing fields (database
 * exports write all five) are ignored.
 */
function parse(text: string, ctx: DecodeContext, maxFutureMs: number): Line | undefined {
  const line = text.replace(/\r?\n$/, '').replace(/\r$/, '');
  if (line.trim() === '') return undefined;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point: a line holding them is refused
  if (/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/.test(line))
    throw new LineError('malformed', 'garbled: contains control characters or bytes that are not UTF-8');
  const f = line.split('|');
  if (f.length < 5)
    throw new LineError(
      'truncated',
      `has ${f.length} field${f.length === 1 ? '' : 's'}, needs at least 5 (epoch|uniqueid|queue|agent|EVENT)`,
    );
  const [epoch = '', uniqueid = '', queue = '', agentName = '', event = ''] = f;
  if (!/^\d{1,12}$/.test(epoch)) throw new LineError('malformed', `epoch '${epoch.slice(0, 20)}' is not a whole number of seconds`);
  if (!/^[A-Z][A-Z0-9_]{0,31}$/.test(event))
    throw new LineError('malformed', `event name '${event.slice(0, 40)}' is not an upper-case word`);
  if (uniqueid.length > MAX_UNIQUEID)
    throw new LineError('malformed', `uniqueid is ${uniqueid.length} characters, at most ${MAX_UNIQUEID}`);
  const seconds = Number(epoch);
  if (seconds < EPOCH_2000) throw new LineError('timestamp', `epoch ${epoch} is before 2000-01-01`);
  const ts = seconds * 1000;
  if (ts > ctx.now + maxFutureMs) throw new LineError('timestamp', `epoch ${epoch} is more than ${maxFutureMs} ms after now (${ctx.now})`);
  const hash = createHash('sha1')
    .update(ctx.idSalt === undefined ? line : `${ctx.idSalt}\n${line}`)
    .digest('hex')
    .slice(0, 12);
  return {
    epoch,
    ts,
    uniqueid,
    queue,
    agent: agentName,
    event,
    data: f.slice(5),
    idBase: `ast:${uniqueid}:${event}:${epoch}:${hash}`,
    tenant: ctx.tenant,
  };
}

/**
 * Decodes Asterisk's queue_log (`epoch|uniqueid|queue|agent|EVENT|data…`,
 * docs/domain.md#asterisk-queue_log), one line per call of `decode`:
 *
 * - call lifecycle (skillgroup): ENTERQUEUE → OFFERED; CONNECT → ANSWERED (waitMs = holdtime);
 *   COMPLETEAGENT/COMPLETECALLER → COMPLETED (waitMs, talkMs, reason `agent`/`caller`); ABANDON →
 *   ABANDONED (waitMs); EXITWITHTIMEOUT/EXITWITHKEY/EXITEMPTY/WITHDRAW → OVERFLOWED with reason
 *   `timeout`/`key`/`empty`/`withdraw`; BLINDTRANSFER/ATTENDEDTRANSFER/TRANSFER → TRANSFERRED
 *   (waitMs, talkMs, reason `blind`/`attended`/none);
 * - the member's device (extension): RINGING for the ring time of CONNECT (s), RINGNOANSWER and
 *   RINGCANCELED (ms), then BUSY on CONNECT, IDLE after RINGNOANSWER, RINGCANCELED, COMPLETE* and transfers;
 * - agent state: AGENTLOGIN, ADDMEMBER, UNPAUSE → AVAILABLE; ADDMEMBER PAUSED, PAUSE → AUX (reason);
 *   AGENTLOGOFF, REMOVEMEMBER → LOGGED_OUT;
 * - {@link ASTERISK_INFORMATIONAL_EVENTS} come back `ignored` (`informational`), and so does every other
 *   well-formed line whose event is not a queue event (`not-a-queue-event`: a dialplan's own `QueueLog()`
 *   lines, `OUTBOUND`, `DID`, …); blank lines yield nothing.
 *
 * Every generation of the format is read, Asterisk 1.2 to today (docs/domain.md#asterisk-queue_log): CONNECT
 * with 1, 2 or 3 data fields, EXITWITHTIMEOUT with 1 or 3, EXITWITHKEY with 2 or 4, TRANSFER with 2, 4 or 5;
 * what an older form does not carry (a wait, a talk time, a ring time) is left out of the event, never made up.
 * Trailing empty data fields do not count (database exports write all five).
 *
 * Event time = epoch × 1000. Ids are `ast:<uniqueid>:<EVENT>:<epoch>:<sha1 of the line, 12 hex>` (plus
 * `:ring`/`:busy`/`:idle` for device facts; `ctx.idSalt`, when given, is hashed with the line), so decoding a
 * line again yields the same ids. Truncated and garbled lines come back as failures naming the problem; a line
 * is decoded whole or not at all.
 */
export function createAsteriskQueueLogDecoder(opts: AsteriskQueueLogOptions = {}): Decoder {
  const maxLineBytes = opts.maxLineBytes ?? 8 * 1024;
  const maxFutureMs = opts.maxFutureMs ?? DEFAULT_DECODE_LIMITS.maxFutureMs;
  return {
    name: 'asterisk-queue-log',
    description: "Asterisk's queue_log, one event per line",
    decode(input, ctx): DecodedItem[] {
      const payload = typeof input === 'string' ? Buffer.from(input, 'utf8') : input;
      const at = ctx.lineNo === undefined ? {} : { lineNo: ctx.lineNo };
      const fail = (code: string, reason: string): DecodedItem[] => [{ ok: false, code, reason, payload, ...at }];
      const ignore = (code: DecodeIgnored['code'], reason: string): DecodedItem[] => [{ ok: 'ignored', code, reason, ...at }];
      if (payload.length > maxLineBytes) return fail('oversized', `line of ${payload.length} bytes exceeds ${maxLineBytes}`);
      try {
        const l = parse(typeof input === 'string' ? input : input.toString('utf8'), ctx, maxFutureMs);
        if (!l) return [];
        if (ASTERISK_INFORMATIONAL_EVENTS.includes(l.event)) return ignore('informational', `${l.event} is informational`);
        const map = Object.hasOwn(MAPPERS, l.event) ? MAPPERS[l.event] : undefined;
        if (!map) return ignore('not-a-queue-event', `${l.event} is not a queue event`);
        const out: DecodedItem[] = [];
        for (const e of map(l)) {
          const v = validateEvent(e);
          if (!v.ok) return fail('schema', `${l.event}: ${v.reason}`);
          out.push({ ok: true, event: v.event });
        }
        // A line that says nothing new (a ring cancelled after 0 ms) is accounted for, not dropped silently.
        return out.length > 0 ? out : ignore('informational', `${l.event} is informational`);
      } catch (err) {
        if (err instanceof LineError) return fail(err.code, err.reason);
        throw err;
      }
    },
  };
}

/** The `asterisk-queue-log` decoder with the default limits (8 KiB lines, 5 min clock skew). */
export const asteriskQueueLogDecoder: Decoder = createAsteriskQueueLogDecoder();
