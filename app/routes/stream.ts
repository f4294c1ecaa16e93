import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { RawData, WebSocket } from 'ws';
import type { Clock } from '../../adapters/clock.js';
import type { RealtimeReader } from '../../pipelines/realtime/merge.js';
import { ROLES, scopeTenant, tenantSchema } from '../../core/access.js';
import { LIMIT_DEFAULTS } from '../config.js';
import { appError } from '../errors.js';
import { FrameBudget, StreamConnections } from './stream-guard.js';
import { skillGroupLevels, type LevelSource } from './stream-levels.js';
import { pushDelay, refreshDue } from './stream-pace.js';
import type { NonCriticalGate } from '../../core/non-critical.js';

/** A stream limit that refused or closed a client (counted in `sluice_server_limit_hits_total`). */
export type StreamLimit = 'stream_per_key' | 'stream_global' | 'stream_rate' | 'stream_frame' | 'stream_slow' | 'stream_token_expired';

/** Options for the push stream. All in ms. */
export interface StreamOptions {
  realtime: RealtimeReader;
  clock: Clock;
  /** Least time between two pushes to one client. */
  minIntervalMs?: number;
  /** A push at least this often even without changes (waits grow with time). */
  refreshMs?: number;
  /** A client with more than this many bytes not yet sent is skipped until it catches up. */
  maxBufferedBytes?: number;
  /** A client skipped this many pushes in a row is closed (it is not reading). */
  maxSkippedPushes?: number;
  /** Streams one API key may hold at once (`SLUICE_STREAM_MAX_PER_KEY`). */
  maxPerKey?: number;
  /** Streams the server holds at once (`SLUICE_STREAM_MAX_CONNECTIONS`). */
  maxConnections?: number;
  /** Frames a client may send per minute, and its largest burst (`SLUICE_STREAM_MESSAGES_PER_MINUTE`). */
  messagesPerMinute?: number;
  /** The control loop's levels, when control runs in this process; each skill group then carries `control`. */
  levels?: LevelSource;
  /** The control loop's advice: a slowed tenant's screens are pushed `SLOW_PUSH_FACTOR` (4) times less often. */
  nonCritical?: NonCriticalGate;
  /** Called for each push sent at the slowed pace (counted in `sluice_non_critical_slowed_total`). */
  onSlowed?: (tenant: string | undefined) => void;
  /** Called when a limit refuses or closes a client. */
  onLimit?: (limit: StreamLimit) => void;
}

/** Defaults of the stream's limits: far above what a floor of wall screens needs. */
const STREAM_DEFAULTS = {
  maxPerKey: LIMIT_DEFAULTS.streamMaxPerKey,
  maxConnections: LIMIT_DEFAULTS.streamMaxConnections,
  messagesPerMinute: LIMIT_DEFAULTS.streamMessagesPerMinute,
  maxBufferedBytes: 1 << 20,
  // At the 2 s refresh, a client 20 s behind.
  maxSkippedPushes: 10,
} as const;

const SKILL_GROUP = /^.{1,128}$/s;
/** WebSocket close codes (RFC 6455 §7.4.1). */
const UNSUPPORTED_DATA = 1003;
const POLICY_VIOLATION = 1008;
const TRY_AGAIN_LATER = 1013;
/** Application close code (4000–4999): the bearer token the stream was opened with has expired; reconnect with a new one. */
export const TOKEN_EXPIRED = 4401;
/** How long a closed abuser has to take its close frame before the connection is cut, ms. */
const CLOSE_GRACE_MS = 1_000;

type StreamRequest = FastifyRequest<{ Querystring: { tenant?: string; skillGroup?: string; key?: string } }>;

/**
 * `GET /v1/stream` (WebSocket): pushes the tenant's skill-group figures as JSON messages
 * `{type: 'skillgroups', tenant, asOf, skillGroups}` on connect, after changes (at most every
 * `minIntervalMs`) and every `refreshMs` — both `SLOW_PUSH_FACTOR` (4) times longer, and the message marked
 * `slowed: true`, while the control loop slows the tenant's non-critical work (`stream-pace.ts`). With {@link StreamOptions.levels}, each skill group also
 * carries `control: {level, reason, since, scope, pinned}` (see `stream-levels.ts`) and a level
 * change is pushed like any other change; without it (no control loop here) `control` is absent. A client may send `{type: 'subscribe', skillGroup}` (or
 * `skillGroup: null` for all) to narrow what it gets. Browsers pass their key as `?key=`.
 *
 * Everything that can be refused is refused before the upgrade, with an HTTP status and the error
 * body: the key (401/403), the tenant asked for (404), the parameters (400), and the caps on streams
 * per key (429) and in all (503). A plain GET without an upgrade runs the same checks and answers
 * 426 when an upgrade would be accepted: the wallboard asks it why an upgrade failed. Once open, a
 * client may send text frames and pings within its frame budget; a binary frame (1003), more frames
 * than the budget (1008) or a client that stops reading (its pushes skipped, then cut) is closed.
 */
export async function streamRoutes(app: FastifyInstance, opts: StreamOptions): Promise<void> {
  const minInterval = opts.minIntervalMs ?? 500;
  const refresh = opts.refreshMs ?? 2_000;
  const maxBuffered = opts.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const maxSkipped = opts.maxSkippedPushes ?? STREAM_DEFAULTS.maxSkippedPushes;
  const perMinute = opts.messagesPerMinute ?? STREAM_DEFAULTS.messagesPerMinute;
  const streams = new StreamConnections(opts.maxPerKey ?? STREAM_DEFAULTS.maxPerKey, opts.maxConnections ?? STREAM_DEFAULTS.maxConnections);
  const limit = (l: StreamLimit) => opts.onLimit?.(l);

  /** The checks an upgrade must pass, run by fastify before it upgrades (and for a plain GET). */
  const admit = async (req: StreamRequest, reply: FastifyReply) => {
    scopeTenant(req.principal, req.query.tenant);
    const refused = streams.refusal(req.principal.keyId);
    if (refused === undefined) return;
    limit(refused === 'per-key' ? 'stream_per_key' : 'stream_global');
    void reply.header('retry-after', '30');
    if (refused === 'per-key') throw appError('SLUICE_ERR_TOO_MANY_STREAMS', [String(streams.maxPerKey)]);
    throw appError(
      'SLUICE_ERR_UNAVAILABLE',
      `the real-time stream (the server holds its limit of ${streams.maxTotal} streams) is unavailable`,
    );
  };

  app.route<{ Querystring: { tenant?: string; skillGroup?: string; key?: string } }>({
    method: 'GET',
    url: '/v1/stream',
    config: { access: { roles: ROLES, action: 'read the real-time stream', queryKey: true } },
    schema: {
      hide: true,
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { tenant: tenantSchema, skillGroup: { type: 'string', minLength: 1, maxLength: 128 }, key: { type: 'string' } },
      },
    },
    preHandler: admit,
    handler: async () => {
      throw appError('SLUICE_ERR_UPGRADE_REQUIRED', ['GET /v1/stream']);
    },
    wsHandler: (socket: WebSocket, req) => {
      const slot = streams.take(req.principal.keyId);
      if (typeof slot !== 'function') {
        // Another upgrade of the key took the last slot between the check and now.
        limit(slot === 'per-key' ? 'stream_per_key' : 'stream_global');
        socket.close(TRY_AGAIN_LATER, 'too many streams');
        return;
      }
      serve(socket, req, slot);
    },
  });

  function serve(socket: WebSocket, req: StreamRequest, release: () => void): void {
    const tenant = scopeTenant(req.principal, req.query.tenant);
    let skillGroup: string | undefined = req.query.skillGroup;
    let lastSent = 0;
    let skipped = 0;
    let pending: ReturnType<typeof setTimeout> | undefined;
    const budget = new FrameBudget(perMinute, opts.clock.now());
    const slowed = () => opts.nonCritical?.slow(tenant) ?? false;

    /** Sends unless the client is behind by more than `maxBuffered` bytes; true when sent. */
    const trySend = (data: string): boolean => {
      if (socket.readyState !== socket.OPEN || socket.bufferedAmount > maxBuffered) return false;
      socket.send(data);
      return true;
    };
    /** Closes a misbehaving client; what it sends from now on is not read. */
    const shut = (code: number, reason: string, why: StreamLimit) => {
      if (socket.readyState !== socket.OPEN) return;
      limit(why);
      socket.close(code, reason);
      socket.pause();
      setTimeout(() => socket.terminate(), CLOSE_GRACE_MS).unref();
    };
    const send = () => {
      pending = undefined;
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > maxBuffered) {
        // Not reading: skip this push, and give up on a client that stays behind (a close frame
        // would only queue behind what it does not read).
        if (++skipped >= maxSkipped) {
          limit('stream_slow');
          socket.terminate();
        }
        return;
      }
      skipped = 0;
      const now = opts.clock.now();
      lastSent = Date.now();
      const isSlowed = slowed();
      if (isSlowed) opts.onSlowed?.(tenant);
      const groups = opts.realtime.skillGroups(now, tenant, skillGroup);
      const levelOf = opts.levels ? skillGroupLevels(opts.levels.levels(tenant)) : undefined;
      const skillGroups = levelOf
        ? groups.map((g) => {
            const control = levelOf(g.tenant, g.skillGroup);
            return control ? { ...g, control } : g;
          })
        : groups;
      const message = { type: 'skillgroups', tenant: tenant ?? '*', asOf: now, skillGroups };
      socket.send(JSON.stringify(isSlowed ? { ...message, slowed: true } : message));
    };
    const schedule = () => {
      if (pending) return;
      pending = setTimeout(send, pushDelay(lastSent, Date.now(), minInterval, slowed()));
    };
    const mine = (t: string) => {
      if (tenant === undefined || t === tenant) schedule();
    };
    const off = opts.realtime.onChange(mine);
    const offLevels = opts.levels?.onChange(mine);
    const timer = setInterval(() => {
      if (refreshDue(lastSent, Date.now(), refresh, slowed())) schedule();
    }, refresh);
    /** Counts one inbound frame; false (and the client closed) when its budget is spent. */
    const within = () => {
      if (socket.readyState !== socket.OPEN) return false;
      if (budget.spend(opts.clock.now())) return true;
      shut(POLICY_VIOLATION, `more than ${perMinute} frames per minute`, 'stream_rate');
      return false;
    };
    socket.on('message', (raw: RawData, isBinary: boolean) => {
      if (!within()) return;
      if (isBinary) {
        shut(UNSUPPORTED_DATA, 'binary frames are not accepted', 'stream_frame');
        return;
      }
      let msg: { type?: unknown; skillGroup?: unknown };
      try {
        msg = JSON.parse(raw.toString()) as typeof msg;
      } catch {
        trySend(JSON.stringify({ type: 'error', message: 'messages must be JSON' }));
        return;
      }
      if (
        typeof msg !== 'object' ||
        msg === null ||
        msg.type !== 'subscribe' ||
        !(msg.skillGroup === null || (typeof msg.skillGroup === 'string' && SKILL_GROUP.test(msg.skillGroup)))
      ) {
        trySend(JSON.stringify({ type: 'error', message: 'expected {"type":"subscribe","skillGroup": <name> | null}' }));
        return;
      }
      skillGroup = msg.skillGroup ?? undefined;
      schedule();
    });
    // Pings are answered here (autoPong is off), within the same budget and only to a client that reads.
    socket.on('ping', (data: Buffer) => {
      if (within() && socket.bufferedAmount <= maxBuffered) socket.pong(data);
    });
    socket.on('pong', () => {
      within();
    });
    // A stream opened with a bearer token lasts as long as the token: then the client signs in again.
    const token = req.principal.token;
    const expiry = token
      ? opts.clock.setTimeout(() => shut(TOKEN_EXPIRED, 'token expired', 'stream_token_expired'), token.expiresAt - opts.clock.now())
      : undefined;
    socket.on('close', () => {
      if (expiry !== undefined) opts.clock.clearTimeout(expiry);
      release();
      off();
      offLevels?.();
      clearInterval(timer);
      if (pending) clearTimeout(pending);
    });
    trySend(JSON.stringify({ type: 'hello', tenant: tenant ?? '*', skillGroup: skillGroup ?? null }));
    send();
  }
}
