/**
 * CPU per operation for `npm run bench:workflow`: a Node process's own time (`process.cpuUsage`) and
 * redis-server's (from `/proc/<pid>/stat`, as bench/machine.ts reads the Kafka broker's), read at the
 * start and end of a phase and divided by the operations the phase completed.
 */
import type { Redis } from 'ioredis';
import { otherProcessCpuMs, processCpuMs } from '../machine.js';

/** CPU time used so far, ms: a Node process and redis-server (undefined where /proc cannot be read). */
export interface CpuReading {
  readonly nodeMs: number;
  readonly redisMs: number | undefined;
}

/** CPU per operation of one kind, µs, and how many operations it is taken over. */
export interface CpuPerOp {
  readonly ops: number;
  readonly nodeUs: number;
  readonly redisUs: number | undefined;
}

/** The pid of the redis-server behind `redis` (its `INFO server` `process_id`). */
export async function redisServerPid(redis: Redis): Promise<number | undefined> {
  const m = /^process_id:(\d+)/m.exec(await redis.info('server'));
  return m ? Number(m[1]) : undefined;
}

/** Commands redis-server has processed so far (`INFO stats` `total_commands_processed`). */
export async function redisCommands(redis: Redis): Promise<number> {
  const m = /^total_commands_processed:(\d+)/m.exec(await redis.info('stats'));
  if (!m) throw new Error('INFO stats has no total_commands_processed');
  return Number(m[1]);
}

/** Reads this process's CPU and redis-server's (`redisPid`). */
export function readCpu(redisPid: number | undefined): CpuReading {
  return { nodeMs: processCpuMs(), redisMs: otherProcessCpuMs(redisPid) };
}

/**
 * CPU per operation between two readings, µs. `nodeMs` may be given instead of the readings' own
 * (the Node side of engine processes measured in the children themselves).
 */
export function perOp(from: CpuReading, to: CpuReading, ops: number, nodeMs = to.nodeMs - from.nodeMs): CpuPerOp {
  const per = (ms: number) => (ops > 0 ? Math.round((ms * 10_000) / ops) / 10 : Number.NaN);
  return {
    ops,
    nodeUs: per(nodeMs),
    redisUs: from.redisMs === undefined || to.redisMs === undefined ? undefined : per(to.redisMs - from.redisMs),
  };
}

/** Node + redis-server µs per operation (Node alone when redis-server could not be read). */
export const totalUs = (c: CpuPerOp): number => c.nodeUs + (c.redisUs ?? 0);

/** The mean of two measurements of the same kind (a baseline run before and after what it is compared with). */
export function meanPerOp(a: CpuPerOp, b: CpuPerOp): CpuPerOp {
  const avg = (x: number, y: number) => Math.round(((x + y) / 2) * 10) / 10;
  return {
    ops: a.ops + b.ops,
    nodeUs: avg(a.nodeUs, b.nodeUs),
    redisUs: a.redisUs === undefined || b.redisUs === undefined ? undefined : avg(a.redisUs, b.redisUs),
  };
}
