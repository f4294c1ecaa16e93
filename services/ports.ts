import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on 127.0.0.1 (bind to 0, read it, release it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not read the port of a probe socket'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** Resolves after `ms` milliseconds (real time: only for waiting on external processes). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * Polls `probe` until it resolves truthy or `timeoutMs` passes. `describe` names what is awaited,
 * for the error; `abort` can end the wait early with its own error (e.g. the process died).
 */
export async function waitUntil(
  describe: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  abort?: () => Error | undefined,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const stop = abort?.();
    if (stop) throw stop;
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    await sleep(200);
  }
  const why = last instanceof Error ? `: ${last.message}` : '';
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${describe}${why}`);
}
