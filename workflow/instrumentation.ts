/** A listener of one event type. */
export type Listener<T> = (event: T) => void;

/**
 * Typed instrumentation events: `on()` returns the unsubscribe function, emitting with
 * nobody listening costs one map lookup, and a throwing listener never breaks the caller.
 *
 * @example
 * const events = new Emitter<{ 'ticket.transition': TicketTransition }>();
 * const off = events.on('ticket.transition', (t) => counter.inc({ state: t.ticket.state }));
 */
export class Emitter<E extends object> {
  readonly #listeners = new Map<keyof E, Set<Listener<never>>>();

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener<never>);
    return () => {
      set.delete(listener as Listener<never>);
    };
  }

  /** True when someone listens to `event` (lets callers skip building a costly payload). */
  has<K extends keyof E>(event: K): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  /** Calls every listener of `event`; a listener that throws is skipped, not propagated. */
  emit<K extends keyof E>(event: K, payload: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of set) {
      try {
        (l as Listener<E[K]>)(payload);
      } catch {
        // Instrumentation must never break the work it observes.
      }
    }
  }
}
