/**
 * One ordered stream of progress lines. aws-local-stepfunctions reports a state entered through its event
 * log, which reaches the runner later than the state's task prints what it did (child executions' events
 * are forwarded asynchronously). So a task's line waits until the log has reported that its state was
 * entered, and every line comes out in the order it happened for its export (or for the run).
 */
import type { ProgressLine } from './run-types';

const RUN = '\u0000run';

export class ProgressOrder {
  /** Visits of each state (per export or the run) that the event log has reported. */
  private readonly entered = new Map<string, number>();
  /** Visits of each state its task handler has begun; a call after a failed one is a retry, not a visit. */
  private readonly visits = new Map<string, { count: number; lastFailed: boolean }>();
  private readonly pending: { key: string; visit: number; line: ProgressLine }[] = [];

  constructor(private readonly emit: (line: ProgressLine) => void) {}

  private static key(exportName: string | undefined, state: string): string {
    return `${exportName ?? RUN}\u0000${state}`;
  }

  /** The event log reported `state` entered (for `exportName`, or the run). */
  stateEntered(state: string, line: ProgressLine): void {
    const key = ProgressOrder.key(line.exportName, state);
    const seen = (this.entered.get(key) ?? 0) + 1;
    this.entered.set(key, seen);
    this.emit(line);
    for (let i = 0; i < this.pending.length;) {
      const p = this.pending[i];
      if (p.key === key && p.visit <= seen) {
        this.pending.splice(i, 1);
        this.emit(p.line);
      } else i++;
    }
  }

  /** A task handler of `state` begins; returns the visit it belongs to. */
  taskStarted(state: string, exportName: string | undefined): number {
    const key = ProgressOrder.key(exportName, state);
    const v = this.visits.get(key) ?? { count: 0, lastFailed: false };
    if (!v.lastFailed) v.count++;
    v.lastFailed = false;
    this.visits.set(key, v);
    return v.count;
  }

  taskEnded(state: string, exportName: string | undefined, failed: boolean): void {
    const v = this.visits.get(ProgressOrder.key(exportName, state));
    if (v) v.lastFailed = failed;
  }

  /** A line a task printed during visit `visit` of `state`: now, or once the log reports the state. */
  taskLine(state: string, visit: number, line: ProgressLine): void {
    const key = ProgressOrder.key(line.exportName, state);
    if ((this.entered.get(key) ?? 0) >= visit) this.emit(line);
    else this.pending.push({ key, visit, line });
  }

  /** A line that belongs to no state (the execution started, a redrive, the end). */
  line(line: ProgressLine): void {
    this.emit(line);
  }

  /** A redrive starts the failed child executions again: their next task calls are new visits. */
  redriveStarted(): void {
    for (const v of this.visits.values()) v.lastFailed = false;
  }

  /** Whatever still waits (a state the log never reported): at the end, in the order it came. */
  flush(): void {
    for (const p of this.pending.splice(0)) this.emit(p.line);
  }
}
