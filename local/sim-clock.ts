/**
 * A simulated clock for a local run: Date and setTimeout are faked (@sinonjs/fake-timers), so Wait states,
 * retry intervals and the SDK's own retry delays take no real time, while the stand-in's jobs, the
 * handlers' deadlines and every timestamp follow the simulated time.
 *
 * Time jumps to the next timer only when nothing else can happen: no request is being served and the
 * event loop has been quiet. While a Lambda task is in flight (it may be sleeping in an SDK retry delay,
 * itself a fake timer) the clock waits for a longer quiet spell before it moves.
 */
import FakeTimers from '@sinonjs/fake-timers';

type InstalledClock = ReturnType<typeof FakeTimers.install>;

const realSetImmediate = setImmediate;
const realSetTimeout = setTimeout;

/** Quiet event-loop turns before the clock moves when no task is in flight. */
const QUIET_TURNS_IDLE = 3;
/** Quiet milliseconds (real time) before the clock moves while a task is in flight. */
const QUIET_MS_BUSY = 200;
/**
 * ... and that many quiet turns too: after the process was paused (GC, a busy machine) the timers phase
 * runs before the pending I/O, and one long gap must not count as quiet.
 */
const QUIET_TURNS_BUSY = 20;

export class SimClock {
  private clock?: InstalledClock;
  private activity = 0;
  private tasksInFlight = 0;
  private requestsInFlight = 0;
  private stoppedAt?: number;
  readonly startMs: number;

  constructor(startMs: number) {
    this.startMs = startMs;
  }

  install(): void {
    this.clock = FakeTimers.install({
      now: this.startMs,
      toFake: ['setTimeout', 'clearTimeout', 'Date'],
      shouldClearNativeTimers: true,
    });
  }

  uninstall(): void {
    if (!this.clock) return;
    this.stoppedAt = this.clock.now;
    this.clock.uninstall();
    this.clock = undefined;
  }

  /** Simulated now; after uninstall, the moment the clock stopped. */
  get now(): number {
    return this.clock ? this.clock.now : (this.stoppedAt ?? this.startMs);
  }

  get elapsedSeconds(): number {
    return Math.round((this.now - this.startMs) / 1000);
  }

  taskStarted(): void {
    this.tasksInFlight++;
    this.activity++;
  }

  taskEnded(): void {
    this.tasksInFlight--;
    this.activity++;
  }

  requestsChanged(inFlight: number): void {
    this.requestsInFlight = inFlight;
    this.activity++;
  }

  /**
   * Advances simulated time whenever the system is idle, until `done` settles. Returns how many times the
   * clock jumped.
   */
  async drive(done: Promise<unknown>): Promise<number> {
    let finished = false;
    void done.then(
      () => (finished = true),
      () => (finished = true),
    );
    let jumps = 0;
    let seen = this.activity;
    let quietTurns = 0;
    let quietSince = performance.now();
    while (!finished) {
      if (this.tasksInFlight > 0) await new Promise((r) => realSetTimeout(r, 1));
      else await new Promise((r) => realSetImmediate(r));
      if (finished) break;
      if (this.activity !== seen || this.requestsInFlight > 0) {
        seen = this.activity;
        quietTurns = 0;
        quietSince = performance.now();
        continue;
      }
      quietTurns++;
      const quiet =
        this.tasksInFlight === 0
          ? quietTurns >= QUIET_TURNS_IDLE
          : quietTurns >= QUIET_TURNS_BUSY && performance.now() - quietSince >= QUIET_MS_BUSY;
      if (quiet && this.clock && this.clock.countTimers() > 0) {
        this.clock.next();
        jumps++;
        quietTurns = 0;
        quietSince = performance.now();
      }
    }
    return jumps;
  }
}
