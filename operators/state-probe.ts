/**
 * How an operator reports the state it holds, for metrics read at scrape time: the operator registers a
 * reader when subscribed and unregisters it at teardown; nothing is counted on the hot path.
 */

/** Registers a reader of an operator's state size (a count); returns its unregistration. */
export type StateProbe = (read: () => number) => () => void;

/** A {@link StateProbe} that sums the readers registered with it (several operators, subscriptions or partitions). */
export interface StateTotal {
  readonly probe: StateProbe;
  /** The sum of every registered reader, now. */
  read(): number;
}

/** Creates a {@link StateTotal}. */
export function stateTotal(): StateTotal {
  const readers = new Set<() => number>();
  return {
    probe: (read) => {
      const r = () => read();
      readers.add(r);
      return () => void readers.delete(r);
    },
    read: () => {
      let n = 0;
      for (const r of readers) n += r();
      return n;
    },
  };
}
