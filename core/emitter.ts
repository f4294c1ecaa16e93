/**
 * Typed instrumentation events (`breaker.open`, `ticket.transition`, `inserted`, …). Emitting with no
 * listener is one property read, so hot paths may emit freely; callers that must build a payload first
 * ask {@link Emitter.has}. `on()` returns the unsubscribe function. Metrics and logs subscribe.
 */

/** A listener for events of one name. */
export type Listener<T> = (event: T) => void;

/** Called when a listener throws; the emitter never lets a listener break its owner. */
export type ListenerErrorHandler = (error: unknown, eventName: string) => void;

/** Anything events can be subscribed to on. */
export interface Emits<E extends object> {
  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). */
  on<K extends keyof E & string>(name: K, listener: Listener<E[K]>): () => void;
}

/**
 * A typed event emitter. Listener lists are copied on write, so a listener may subscribe or unsubscribe
 * during an emit without affecting the current emit.
 *
 * @typeParam E map from event name to payload type
 * @example
 * const events = new Emitter<{ 'ticket.transition': TicketTransition }>();
 * const off = events.on('ticket.transition', (t) => counter.inc({ state: t.ticket.state }));
 */
export class Emitter<E extends object> implements Emits<E> {
  #listeners: { [K in keyof E]?: readonly Listener<E[K]>[] } = {};
  readonly #onError: ListenerErrorHandler;

  /** @param onError receives errors thrown by listeners (default: ignored, so a faulty metrics hook cannot stop the work it observes) */
  constructor(onError: ListenerErrorHandler = () => {}) {
    this.#onError = onError;
  }

  /** Subscribes to `name`; returns a function that unsubscribes (idempotent). No listener, no cost. */
  on<K extends keyof E & string>(name: K, listener: Listener<E[K]>): () => void {
    this.#listeners[name] = [...(this.#listeners[name] ?? []), listener];
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      const list = [...(this.#listeners[name] ?? [])];
      // One subscription, one removal: the same function subscribed twice stays subscribed once.
      list.splice(list.indexOf(listener), 1);
      if (list.length === 0) delete this.#listeners[name];
      else this.#listeners[name] = list;
    };
  }

  /** True when at least one listener is subscribed to `name`. */
  has(name: keyof E & string): boolean {
    return this.#listeners[name] !== undefined;
  }

  /** Delivers `event` to every listener of `name`, in subscription order. */
  emit<K extends keyof E & string>(name: K, event: E[K]): void {
    const list = this.#listeners[name];
    if (list === undefined) return;
    for (const l of list) {
      try {
        l(event);
      } catch (err) {
        this.#onError(err, name);
      }
    }
  }
}
