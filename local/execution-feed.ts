/**
 * Feeds what aws-local-stepfunctions reports of a run into the stand-in's executions (local/stand-in/
 * executions.ts), as Step Functions would record them: the run, its Map Run when the Map state starts, one
 * child execution per item, each state entered and exited with its data, and how each ended. After a stop
 * nothing more is recorded: the library may still start queued items, which in AWS never start.
 */
import type { ExecutionRecord, ExecutionRecords, MapRunRecord } from './stand-in/executions';

/** The fields of the library's event log entries used here. */
export interface LoggedEvent {
  readonly type: string;
  readonly index?: number;
  readonly state?: {
    readonly name: string;
    readonly type: string;
    readonly input?: unknown;
    readonly output?: unknown;
  };
  readonly input?: unknown;
  readonly output?: unknown;
  readonly Error?: string;
  readonly Cause?: string;
}

export class ExecutionFeed {
  readonly run: ExecutionRecord;
  private mapRun?: MapRunRecord;
  private stopped = false;

  constructor(
    private readonly records: ExecutionRecords,
    run: { executionArn: string; stateMachineArn: string; name: string; input: unknown; startMs: number },
  ) {
    this.run = records.startRun(run.executionArn, run.stateMachineArn, run.name, run.input, run.startMs);
  }

  /** One logged event; `item` is the Map item whose child execution it belongs to, if any. */
  record(ev: LoggedEvent, item: number | undefined): void {
    if (this.stopped) return;
    const now = Date.now();
    if (ev.type === 'MapIterationStarted' && this.mapRun && ev.index !== undefined) {
      this.records.startChild(this.mapRun, ev.index, ev.input, now);
      return;
    }
    if (ev.type === 'MapIterationSucceeded' || ev.type === 'MapIterationFailed') {
      const child = ev.index === undefined ? undefined : this.mapRun?.children.get(ev.index);
      if (child) this.endChild(child, ev, now);
      return;
    }
    // A child run on its own (a redrive resumes it): its end is its execution's.
    if ((ev.type === 'ExecutionSucceeded' || ev.type === 'ExecutionFailed') && item !== undefined) {
      const child = this.mapRun?.children.get(item);
      if (child)
        this.endChild(
          child,
          { ...ev, type: ev.type === 'ExecutionSucceeded' ? 'MapIterationSucceeded' : 'MapIterationFailed' },
          now,
        );
      return;
    }
    if (!ev.state || (ev.type !== 'StateEntered' && ev.type !== 'StateExited')) return;
    const target = item === undefined ? this.run : this.mapRun?.children.get(item);
    if (!target) return;
    if (ev.type === 'StateEntered') {
      if (item === undefined && ev.state.type === 'Map' && !this.mapRun)
        this.mapRun = this.records.startMapRun(this.run, ev.state.name, now);
      this.records.stateEntered(target, now, ev.state.name, ev.state.type, ev.state.input);
    } else {
      this.records.stateExited(target, now, ev.state.name, ev.state.type, ev.state.output);
    }
  }

  private endChild(child: ExecutionRecord, ev: LoggedEvent, now: number) {
    if (ev.type === 'MapIterationSucceeded') this.records.end(child, now, 'SUCCEEDED', { output: ev.output });
    else this.records.end(child, now, 'FAILED', { error: ev.Error, cause: ev.Cause });
  }

  /** The Map Run's ARN, once the Map state started. */
  get mapRunArn(): string | undefined {
    return this.mapRun?.mapRunArn;
  }

  /** StopExecution, or the state machine's timeout: nothing more runs; the Map's children stop too. */
  stop(status: 'ABORTED' | 'TIMED_OUT'): void {
    this.stopped = true;
    this.records.end(this.run, Date.now(), status);
  }

  /** The run's end as the library reported it (unless it was stopped). */
  end(ok: boolean, result: { output?: unknown; error?: string; cause?: string }): void {
    if (this.stopped) return;
    this.records.end(this.run, Date.now(), ok ? 'SUCCEEDED' : 'FAILED', result);
  }

  /** A redrive of the run: it runs again, and so do the children that had not succeeded. */
  redrive(): void {
    this.stopped = false;
    this.records.redrive(this.run, Date.now());
  }

  /** Item `index` runs (again) in a redrive: its child execution is redriven, or started now. */
  redriveChild(index: number, input: unknown): void {
    if (!this.mapRun) return;
    this.mapRun.stopMs = undefined;
    const child = this.mapRun.children.get(index);
    if (child) this.records.redrive(child, Date.now());
    else this.records.startChild(this.mapRun, index, input, Date.now());
  }
}
