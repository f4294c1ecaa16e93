/**
 * The logging surface every room writes to: a subset of pino's, so the app hands rooms its pino logger
 * (or a child of it) and tests a silent one. Structured fields first, then the message.
 */

/** Writes one structured line at one level. */
export type LogMethod = (fields: object, msg?: string) => void;

/** A pino-compatible logger. */
export interface Logger {
  info: LogMethod;
  warn: LogMethod;
  error: LogMethod;
}

const ignore: LogMethod = () => {};

/** A logger that writes nothing (the default of rooms built without one). */
export const silentLogger: Logger = Object.freeze({ info: ignore, warn: ignore, error: ignore });

/**
 * A logger that adds `fields` to every line (as pino's `child()` does), for rooms handed a plain {@link Logger}.
 *
 * @example const log = withFields(options.log, { instance: 'i-1' });
 */
export function withFields(logger: Logger, fields: object): Logger {
  return {
    info: (f, msg) => logger.info({ ...fields, ...f }, msg),
    warn: (f, msg) => logger.warn({ ...fields, ...f }, msg),
    error: (f, msg) => logger.error({ ...fields, ...f }, msg),
  };
}
