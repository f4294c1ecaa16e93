import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Clock } from '../../adapters/clock.js';
import type { RealtimeState } from '../../pipelines/realtime/state.js';
import { ROLES } from '../config.js';
import { scopeTenant } from '../plugins/auth.js';
import { skillGroupLevels, type LevelSource } from './stream-levels.js';

/** Options for the push stream. All in ms. */
export interface StreamOptions {
  realtime: RealtimeState;
  clock: Clock;
  /** Least time between two pushes to one client. */
  minIntervalMs?: number;
  /** A push at least this often even without changes (waits grow with time). */
  refreshMs?: number;
  /** A client with more than this many bytes not yet sent is skipped until it catches up. */
  maxBufferedBytes?: number;
  /** The control loop's levels, when control runs in this process; each skill group then carries `control`. */
  levels?: LevelSource;
}

const SKILL_GROUP = /^.{1,128}$/s;

/**
 * `GET /v1/stream` (WebSocket): pushes the tenant's skill-group figures as JSON messages
 * `{type: 'skillgroups', tenant, asOf, skillGroups}` on connect, after changes (at most every
 * `minIntervalMs`) and every `refreshMs`. With {@link StreamOptions.levels}, each skill group also
 * carries `control: {level, reason, since, scope, pinned}` (see `stream-levels.ts`) and a level
 * change is pushed like any other change; without it (no control loop here) `control` is absent. A client may send `{type: 'subscribe', skillGroup}` (or
 * `skillGroup: null` for all) to narrow what it gets. Browsers pass their key as `?key=`.
 */
export async function streamRoutes(app: FastifyInstance, opts: StreamOptions): Promise<void> {
  const minInterval = opts.minIntervalMs ?? 500;
  const refresh = opts.refreshMs ?? 2_000;
  const maxBuffered = opts.maxBufferedBytes ?? 1 << 20;

  app.get<{ Querystring: { tenant?: string; skillGroup?: string; key?: string } }>(
    '/v1/stream',
    {
      websocket: true,
      config: { access: { roles: ROLES, action: 'read the real-time stream', queryKey: true } },
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { tenant: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }, skillGroup: { type: 'string', minLength: 1, maxLength: 128 }, key: { type: 'string' } },
        },
      },
    },
    (socket: WebSocket, req) => {
      const tenant = scopeTenant(req.principal, req.query.tenant);
      let skillGroup: string | undefined = req.query.skillGroup;
      let lastSent = 0;
      let pending: ReturnType<typeof setTimeout> | undefined;
      const send = () => {
        pending = undefined;
        if (socket.readyState !== socket.OPEN || socket.bufferedAmount > maxBuffered) return;
        const now = opts.clock.now();
        lastSent = Date.now();
        const groups = opts.realtime.skillGroups(now, tenant, skillGroup);
        const levelOf = opts.levels ? skillGroupLevels(opts.levels.levels(tenant)) : undefined;
        const skillGroups = levelOf
          ? groups.map((g) => {
              const control = levelOf(g.tenant, g.skillGroup);
              return control ? { ...g, control } : g;
            })
          : groups;
        socket.send(JSON.stringify({ type: 'skillgroups', tenant: tenant ?? '*', asOf: now, skillGroups }));
      };
      const schedule = () => {
        if (pending) return;
        pending = setTimeout(send, Math.max(0, lastSent + minInterval - Date.now()));
      };
      const mine = (t: string) => {
        if (tenant === undefined || t === tenant) schedule();
      };
      const off = opts.realtime.onChange(mine);
      const offLevels = opts.levels?.onChange(mine);
      const timer = setInterval(schedule, refresh);
      socket.on('message', (raw) => {
        let msg: { type?: unknown; skillGroup?: unknown };
        try {
          msg = JSON.parse(raw.toString()) as typeof msg;
        } catch {
          socket.send(JSON.stringify({ type: 'error', message: 'messages must be JSON' }));
          return;
        }
        if (msg.type !== 'subscribe' || !(msg.skillGroup === null || (typeof msg.skillGroup === 'string' && SKILL_GROUP.test(msg.skillGroup)))) {
          socket.send(JSON.stringify({ type: 'error', message: 'expected {"type":"subscribe","skillGroup": <name> | null}' }));
          return;
        }
        skillGroup = msg.skillGroup ?? undefined;
        schedule();
      });
      socket.on('close', () => {
        off();
        offLevels?.();
        clearInterval(timer);
        if (pending) clearTimeout(pending);
      });
      socket.send(JSON.stringify({ type: 'hello', tenant: tenant ?? '*', skillGroup: skillGroup ?? null }));
      send();
    },
  );
}
