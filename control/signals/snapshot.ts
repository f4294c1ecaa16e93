/**
 * What the pipelines tell the control loop: one queue snapshot per tenant and
 * skill group (the message is declared in `core/messages.ts`), through the
 * {@link RealtimeView} port. The composition root implements it over the
 * pipelines' real-time view: in-process, or in split roles the view every
 * pipeline worker publishes through the StateStore
 * (`pipelines/realtime/shared.ts`).
 */
import type { QueueSnapshot } from '../../core/messages.js';

/** The port the pipelines implement: the latest snapshot of every queue they know. */
export interface RealtimeView {
  /** Latest snapshots; called once per control tick, so it may build a fresh array. */
  snapshots(): readonly QueueSnapshot[];
  /**
   * Optional: brings a remote view up to date (e.g. reads the StateStore). The
   * control service awaits it at the start of each tick, off the routing path;
   * `snapshots()` then answers from memory.
   */
  refresh?(): Promise<void>;
}

/** A view with fixed contents that tests, benchmarks and demos replace wholesale. */
export class StaticRealtimeView implements RealtimeView {
  #snapshots: readonly QueueSnapshot[];

  /** @param snapshots initial contents */
  constructor(snapshots: readonly QueueSnapshot[] = []) {
    this.#snapshots = snapshots;
  }

  /** Replaces the contents. */
  set(snapshots: readonly QueueSnapshot[]): void {
    this.#snapshots = snapshots;
  }

  /** {@inheritDoc RealtimeView.snapshots} */
  snapshots(): readonly QueueSnapshot[] {
    return this.#snapshots;
  }
}
