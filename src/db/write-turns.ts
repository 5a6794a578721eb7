import type { WriteGate } from './open.js';

/**
 * Turns at writing journal.db between the server's connection (main thread) and an import worker's own
 * connection (src/trades/import-pool.ts). SQLite lets one writer in at a time; a connection that finds the lock
 * taken waits in better-sqlite3's busy handler, synchronously. For the worker that costs nothing (it waits on its
 * own thread), but a page's write (a note, a tag, a setting) that met a 3-second import transaction would hold
 * the event loop, and with it every page and /health, for those 3 seconds.
 *
 * So the main thread waits for its turn asynchronously, before a request that may write runs its handler
 * (`mainTurn`), and holds the turn until the handler's synchronous part has run; the worker does not begin a
 * write transaction while the main thread holds its turn or waits for one (`workerGate`, waiting on its own
 * thread): a page's write goes in after the transaction running now, not after every import queued behind it.
 * Three counters in memory both threads share: WORKER (1 while the worker is in, or entering, a write
 * transaction), MAIN (turns the main thread holds) and WAITING (main-thread requests waiting for one). Each side
 * raises its own counter and then looks at the other's, so at most one of them goes ahead (the other steps back and
 * waits). A write of the main thread that did not take a turn (background work) still works: it waits for
 * SQLite's lock as before.
 */
/** `Atomics.waitAsync` (Node 16+; typed only from lib ES2024). */
const waitAsync = (
  Atomics as unknown as { waitAsync(a: Int32Array, i: number, v: number): { async: boolean; value: Promise<string> | string } }
).waitAsync;

const WORKER = 0;
const MAIN = 1;
const WAITING = 2;
/** How long the worker sleeps at most between looks while the main thread holds its turn. */
const WORKER_POLL_MS = 50;

export class WriteTurns {
  private readonly cells: Int32Array;

  constructor(readonly shared: SharedArrayBuffer = new SharedArrayBuffer(12)) {
    this.cells = new Int32Array(shared);
  }

  /** True while the worker is in (or entering) a write transaction. */
  get workerWriting(): boolean {
    return Atomics.load(this.cells, WORKER) === 1;
  }

  /**
   * Main thread: resolves once the worker is out of its write transaction, with the turn taken; the turn is given
   * back at the next turn of the event loop (after the caller's synchronous work), or by calling the function.
   */
  async mainTurn(): Promise<() => void> {
    const c = this.cells;
    Atomics.add(c, WAITING, 1);
    try {
      for (;;) {
        if (Atomics.load(c, WORKER) === 0) {
          Atomics.add(c, MAIN, 1);
          if (Atomics.load(c, WORKER) === 0) break;
          this.giveBack();
        }
        const w = waitAsync(c, WORKER, 1);
        if (w.async) await w.value;
      }
    } finally {
      Atomics.sub(c, WAITING, 1);
    }
    let given = false;
    const release = () => {
      if (given) return;
      given = true;
      this.giveBack();
    };
    setImmediate(release);
    return release;
  }

  /** The worker thread ended (its connection, and any transaction of it, with it): it holds no turn. */
  workerGone(): void {
    Atomics.store(this.cells, WORKER, 0);
    Atomics.notify(this.cells, WORKER);
  }

  private giveBack(): void {
    Atomics.sub(this.cells, MAIN, 1);
    Atomics.notify(this.cells, MAIN);
  }

  /** Worker thread: the gate its connection's writes go through (`Db.setWriteGate`). */
  workerGate(): WriteGate {
    const c = this.cells;
    return {
      enter() {
        for (;;) {
          // a main-thread request waiting for its turn goes first
          if (Atomics.load(c, WAITING) === 0) {
            Atomics.store(c, WORKER, 1);
            if (Atomics.load(c, MAIN) === 0) return;
            Atomics.store(c, WORKER, 0);
            Atomics.notify(c, WORKER);
          }
          Atomics.wait(c, MAIN, Atomics.load(c, MAIN), WORKER_POLL_MS);
        }
      },
      leave() {
        Atomics.store(c, WORKER, 0);
        Atomics.notify(c, WORKER);
      },
    };
  }
}
