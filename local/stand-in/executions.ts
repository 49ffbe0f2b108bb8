/**
 * The executions of the local run as Step Functions keeps them: the run itself, its Map Run and one child
 * execution per export, each with its status, input, output and history (the events the clean-up of an
 * ended run reads back: state entered and exited, with their data). The local runner records what
 * aws-local-stepfunctions reports; the Step Functions stand-in answers from here.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html
 */
import { randomUUID } from 'node:crypto';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEventRecord {
  readonly id: number;
  readonly timestampMs: number;
  readonly type: string;
  readonly details?: { readonly key: string; readonly value: Record<string, unknown> };
}

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: unknown;
  readonly startMs: number;
  readonly mapRunArn?: string;
  status: ExecutionStatus;
  stopMs?: number;
  output?: unknown;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveMs?: number;
  readonly history: HistoryEventRecord[];
}

export interface MapRunRecord {
  readonly mapRunArn: string;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly startMs: number;
  stopMs?: number;
  /** Child executions by item index. */
  readonly children: Map<number, ExecutionRecord>;
}

/** `TaskStateEntered`, `MapStateExited`, ... as Step Functions names a state's events. */
function stateEventType(stateType: string, what: 'Entered' | 'Exited'): string {
  return `${stateType}State${what}`;
}

export class ExecutionRecords {
  readonly executions = new Map<string, ExecutionRecord>();
  readonly mapRuns: MapRunRecord[] = [];

  /** The run itself. */
  startRun(executionArn: string, stateMachineArn: string, name: string, input: unknown, startMs: number) {
    return this.start({ executionArn, stateMachineArn, name, input, startMs });
  }

  /** A Map Run of the run: its child executions run under `<state machine>/<label>`. */
  startMapRun(run: ExecutionRecord, label: string, nowMs: number): MapRunRecord {
    const [prefix, stateMachineName] = [
      run.stateMachineArn.split(':stateMachine:')[0],
      run.stateMachineArn.split(':stateMachine:')[1],
    ];
    const mapRun: MapRunRecord = {
      mapRunArn: `${prefix}:mapRun:${stateMachineName}/${label}:${randomUUID()}`,
      executionArn: run.executionArn,
      stateMachineArn: `${prefix}:stateMachine:${stateMachineName}/${label}`,
      startMs: nowMs,
      children: new Map(),
    };
    this.mapRuns.push(mapRun);
    return mapRun;
  }

  /** The child execution of item `index`, started now. */
  startChild(mapRun: MapRunRecord, index: number, input: unknown, nowMs: number): ExecutionRecord {
    const id = randomUUID();
    const child = this.start({
      executionArn: `${mapRun.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`,
      stateMachineArn: mapRun.stateMachineArn,
      name: id,
      input,
      startMs: nowMs,
      mapRunArn: mapRun.mapRunArn,
    });
    mapRun.children.set(index, child);
    return child;
  }

  private start(e: Omit<ExecutionRecord, 'status' | 'redriveCount' | 'history'>): ExecutionRecord {
    const record: ExecutionRecord = { ...e, status: 'RUNNING', redriveCount: 0, history: [] };
    this.executions.set(e.executionArn, record);
    this.add(record, e.startMs, 'ExecutionStarted', 'executionStartedEventDetails', {
      input: JSON.stringify(e.input),
    });
    return record;
  }

  stateEntered(record: ExecutionRecord, nowMs: number, name: string, stateType: string, input: unknown) {
    this.add(record, nowMs, stateEventType(stateType, 'Entered'), 'stateEnteredEventDetails', {
      name,
      input: JSON.stringify(input),
    });
  }

  stateExited(record: ExecutionRecord, nowMs: number, name: string, stateType: string, output: unknown) {
    this.add(record, nowMs, stateEventType(stateType, 'Exited'), 'stateExitedEventDetails', {
      name,
      output: JSON.stringify(output),
    });
  }

  /** Ends an execution (and, for the run, its Map Runs' children still running, which Step Functions stops). */
  end(
    record: ExecutionRecord,
    nowMs: number,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: unknown; error?: string; cause?: string } = {},
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopMs = nowMs;
    record.output = result.output;
    record.error = result.error;
    record.cause = result.cause;
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      ABORTED: 'ExecutionAborted',
      TIMED_OUT: 'ExecutionTimedOut',
    }[status];
    const key = {
      SUCCEEDED: 'executionSucceededEventDetails',
      FAILED: 'executionFailedEventDetails',
      ABORTED: 'executionAbortedEventDetails',
      TIMED_OUT: 'executionTimedOutEventDetails',
    }[status];
    this.add(record, nowMs, type, key, {
      ...(result.output !== undefined ? { output: JSON.stringify(result.output) } : {}),
      ...(result.error ? { error: result.error } : {}),
      ...(result.cause ? { cause: result.cause } : {}),
    });
    if (status === 'SUCCEEDED') return;
    for (const mapRun of this.mapRuns.filter((m) => m.executionArn === record.executionArn)) {
      mapRun.stopMs ??= nowMs;
      for (const child of mapRun.children.values()) this.end(child, nowMs, 'ABORTED');
    }
  }

  /** A redrive: the same execution runs again from where it ended. */
  redrive(record: ExecutionRecord, nowMs: number): void {
    record.status = 'RUNNING';
    record.stopMs = undefined;
    record.redriveCount += 1;
    record.redriveMs = nowMs;
    this.add(record, nowMs, 'ExecutionRedriven', 'executionRedrivenEventDetails', {
      redriveCount: record.redriveCount,
    });
  }

  private add(
    record: ExecutionRecord,
    nowMs: number,
    type: string,
    key: string,
    value: Record<string, unknown>,
  ) {
    record.history.push({ id: record.history.length + 1, timestampMs: nowMs, type, details: { key, value } });
  }
}
