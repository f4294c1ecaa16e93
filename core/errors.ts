/**
 * The one error class of Sluice, its guard, and the registry of every code.
 *
 * Each room keeps its own list of codes (code → HTTP status, retriable, message template) and builds
 * its errors through the kit {@link defineErrors} returns; the few codes several rooms answer with
 * (validation, not found, forbidden, unavailable) are listed here once, in {@link CORE_ERRORS}.
 * Every list registers itself when its module loads, so a code defined by two rooms fails at once,
 * and one test (`app/errors.test.ts`) checks every registered code is documented in docs/errors.md.
 * An API answers any of these errors with the body `{error: {code, message, retriable, ...details}}`.
 */

/** One error code: what an API answers and whether retrying can help. */
export interface ErrorSpec {
  /**
   * HTTP status an API answers with. Absent for codes raised inside a pipeline and never answered to a
   * client as such (the stream operators'); one that reaches an API anyway is an internal error (500).
   */
  readonly status?: number;
  /** Whether the same request may succeed if retried unchanged. */
  readonly retriable: boolean;
  /** Message template whose `%s` are filled with the arguments in order; absent: the message is given whole. */
  readonly message?: string;
  /** When the code is used (docs/errors.md holds the full text for clients). */
  readonly description?: string;
}

/** A room's list of codes. */
export type ErrorList = { readonly [code: `SLUICE_ERR_${string}`]: ErrorSpec };

/** What an error may carry besides its code and message. */
export interface SluiceErrorOptions {
  /** Extra fields of the error body (e.g. the bad `field`); plain data only, they are sent to the client. */
  readonly details?: Readonly<Record<string, unknown>>;
  /** The underlying error, kept as `cause` (logged, never sent). */
  readonly cause?: unknown;
  /** Overrides the code's retriable flag when this instance knows better (e.g. a webhook's 4xx). */
  readonly retriable?: boolean;
}

const MARK = Symbol.for('sluice.error');
const NO_DETAILS: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * An error with a documented `SLUICE_ERR_*` code. Build it through a room's kit ({@link defineErrors}),
 * which knows the code's status and template; test for it with {@link isSluiceError}, never `instanceof`.
 *
 * @typeParam C the code
 */
export class SluiceError<C extends string = string> extends Error {
  /** The documented code. */
  readonly code: C;
  /** HTTP status an API answers with; undefined for codes never answered as such (see {@link ErrorSpec.status}). */
  readonly status: number | undefined;
  /** Whether retrying unchanged may succeed. */
  readonly retriable: boolean;
  /** Extra fields of the error body (e.g. `field`). */
  readonly details: Readonly<Record<string, unknown>>;

  /**
   * @param code the code, from a registered list
   * @param spec the code's entry in its list
   * @param message the whole message, naming the field, id or rule
   */
  constructor(code: C, spec: ErrorSpec, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SluiceError';
    this.code = code;
    this.status = spec.status;
    this.retriable = options.retriable ?? spec.retriable;
    this.details = options.details ?? NO_DETAILS;
    // A registered-symbol marker rather than `instanceof`: an error built by another copy of this
    // module (two installed versions, a bundled plugin) is still recognised.
    Object.defineProperty(this, MARK, { value: true });
  }
}

/**
 * True when `err` is a {@link SluiceError} (from any copy of this module), and has `code` when given.
 *
 * @example if (isSluiceError(err, 'SLUICE_ERR_TICKET_CONFLICT')) retry();
 */
export function isSluiceError<C extends string = string>(err: unknown, code?: C): err is SluiceError<C> {
  if (typeof err !== 'object' || err === null || (err as Record<symbol, unknown>)[MARK] !== true) return false;
  return code === undefined || (err as SluiceError).code === code;
}

/**
 * The codes several rooms answer with, defined once. Their messages are given whole: each room words
 * its own (`tenant globex not found`, `body.flowId is required unless …`).
 */
export const CORE_ERRORS = Object.freeze({
  SLUICE_ERR_VALIDATION: { status: 400, retriable: false, description: 'a request is malformed; `field` names the bad field' },
  SLUICE_ERR_NOT_FOUND: {
    status: 404,
    retriable: false,
    description: "no such route or object in the caller's tenant (another tenant's is reported as missing, never forbidden)",
  },
  SLUICE_ERR_FORBIDDEN: { status: 403, retriable: false, description: "the key's role, or a workflow actor, may not do this" },
  SLUICE_ERR_UNAVAILABLE: { status: 503, retriable: true, description: 'a dependency needed to answer is unavailable right now' },
  SLUICE_ERR_RATE_LIMITED: {
    status: 429,
    retriable: true,
    message: 'rate limit exceeded: %s',
    description: 'an API key sent more than its limit in a window (control routes, ingest events); `Retry-After` says when to retry',
  },
} as const satisfies ErrorList);

/** A code of {@link CORE_ERRORS}. */
export type CoreErrorCode = keyof typeof CORE_ERRORS;

/** Where a registered code comes from. */
export interface RegisteredCode {
  /** The room whose list defines it (`core`, `app`, `control`, …). */
  readonly room: string;
  readonly spec: ErrorSpec;
}

const registry = new Map<string, RegisteredCode>();

function register(room: string, list: ErrorList): void {
  for (const [code, spec] of Object.entries(list)) {
    const before = registry.get(code);
    if (before !== undefined && before.room !== room)
      throw new Error(
        `error code ${code} of ${room} is already defined by ${before.room}: a code is defined once (shared codes live in core/errors.ts)`,
      );
    registry.set(code, Object.freeze({ room, spec }));
  }
}

/** Every code registered so far (each room's list registers when its `errors.ts` loads), by code. */
export function errorRegistry(): ReadonlyMap<string, RegisteredCode> {
  return registry;
}

/** How a room builds its errors. */
export interface ErrorKit<L extends ErrorList> {
  /** The room's name in the registry. */
  readonly room: string;
  /** The room's own codes. */
  readonly codes: L;
  /**
   * An error of one of the room's codes or of {@link CORE_ERRORS}.
   *
   * @param message the arguments of the code's template (one string or several), or the whole message when it has none
   */
  error<C extends (keyof L | CoreErrorCode) & string>(
    code: C,
    message: string | readonly string[],
    options?: SluiceErrorOptions,
  ): SluiceError<C>;
}

function format(spec: ErrorSpec, message: string | readonly string[]): string {
  const args = typeof message === 'string' ? [message] : message;
  if (spec.message === undefined) return args.join(' ');
  let i = 0;
  return spec.message.replace(/%s/g, () => args[i++] ?? '');
}

/**
 * Registers a room's list of codes and returns the kit the room builds its errors with.
 *
 * @param room the room's name (`control`, `workflow`, …)
 * @param list the room's codes; none may be in another room's list or in {@link CORE_ERRORS}
 * @throws Error when a code is already defined by another room
 * @example
 * export const CONTROL_ERRORS = { SLUICE_ERR_POLICY_INVALID: { status: 400, retriable: false, message: 'invalid policy: %s' } } as const;
 * export const controlError = defineErrors('control', CONTROL_ERRORS).error;
 * throw controlError('SLUICE_ERR_POLICY_INVALID', 'levels.0.enter must be a number');
 */
export function defineErrors<L extends ErrorList>(room: string, list: L): ErrorKit<L> {
  register(room, list);
  const specs = new Map<string, ErrorSpec>([...Object.entries(CORE_ERRORS), ...Object.entries(list)]);
  return Object.freeze({
    room,
    codes: list,
    error<C extends (keyof L | CoreErrorCode) & string>(
      code: C,
      message: string | readonly string[],
      options?: SluiceErrorOptions,
    ): SluiceError<C> {
      const spec = specs.get(code);
      if (spec === undefined) throw new TypeError(`${code} is not an error code of ${room}`);
      return new SluiceError(code, spec, format(spec, message), options);
    },
  });
}

/** The kit of {@link CORE_ERRORS}, for core itself (rooms use their own kit, which covers these codes too). */
export const coreError = defineErrors('core', CORE_ERRORS).error;
