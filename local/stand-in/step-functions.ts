/**
 * Step Functions, as the handlers ask it about runs: ListExecutions (of the state machine, or of a Map Run),
 * DescribeExecution, ListMapRuns and GetExecutionHistory, answered from the local run's own executions (its
 * run, Map Run and child executions, as recorded while it ran) and the world's other running executions.
 */
import type { ExecutionRecord, ExecutionRecords } from './executions';
import type { JsonOperation } from './server';
import { requireString, ServiceError } from './service-error';
import type { SelfExecution, World } from './world';

const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

export class StepFunctionsStandIn {
  constructor(
    private readonly world: World,
    private readonly records: ExecutionRecords,
    private readonly self?: SelfExecution,
  ) {}

  /** The awsJson operations, by X-Amz-Target. */
  operations(): [string, JsonOperation][] {
    return [
      ['AWSStepFunctions.ListExecutions', (input) => this.listExecutions(input)],
      ['AWSStepFunctions.DescribeExecution', (input) => this.describe(this.find(input))],
      ['AWSStepFunctions.ListMapRuns', (input) => this.listMapRuns(input)],
      ['AWSStepFunctions.GetExecutionHistory', (input) => this.history(input)],
    ];
  }

  /** The world's other executions of the state machine that have started by now (they run throughout). */
  private others(): ExecutionRecord[] {
    const self = this.self;
    if (!self) return [];
    return (this.world.runningExecutions ?? [])
      .map((e) => ({
        executionArn: `${self.stateMachineArn.replace(':stateMachine:', ':execution:')}:${e.name}`,
        stateMachineArn: self.stateMachineArn,
        name: e.name,
        input: e.input,
        startMs: self.startMs - e.startedSecondsAgo * 1000,
        status: 'RUNNING' as const,
        redriveCount: 0,
        history: [],
      }))
      .filter((e) => e.startMs <= Date.now());
  }

  private find(input: Record<string, unknown>): ExecutionRecord {
    const arn = requireString(input, 'executionArn', 1, 2048, 'InvalidArn');
    const e = this.records.executions.get(arn) ?? this.others().find((x) => x.executionArn === arn);
    if (!e) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  private summary(e: ExecutionRecord) {
    return {
      executionArn: e.executionArn,
      stateMachineArn: e.stateMachineArn,
      name: e.name,
      status: e.status,
      startDate: seconds(e.startMs),
      ...(e.stopMs !== undefined ? { stopDate: seconds(e.stopMs) } : {}),
      ...(e.mapRunArn ? { mapRunArn: e.mapRunArn } : {}),
      redriveCount: e.redriveCount,
      ...(e.redriveMs !== undefined ? { redriveDate: seconds(e.redriveMs) } : {}),
    };
  }

  private describe(e: ExecutionRecord) {
    return {
      ...this.summary(e),
      input: JSON.stringify(e.input),
      ...(e.output !== undefined ? { output: JSON.stringify(e.output) } : {}),
      ...(e.error ? { error: e.error } : {}),
      ...(e.cause ? { cause: e.cause } : {}),
    };
  }

  private listExecutions(input: Record<string, unknown>) {
    if ((input.stateMachineArn === undefined) === (input.mapRunArn === undefined))
      throw new ServiceError(
        'ValidationException',
        'Exactly one of stateMachineArn and mapRunArn is required',
      );
    let listed: ExecutionRecord[];
    if (input.mapRunArn !== undefined) {
      const arn = requireString(input, 'mapRunArn', 1, 2000, 'InvalidArn');
      const mapRun = this.records.mapRuns.find((m) => m.mapRunArn === arn);
      if (!mapRun) throw new ServiceError('ResourceNotFound', `Map Run Does Not Exist: '${arn}'`);
      listed = [...mapRun.children.values()];
    } else {
      const arn = requireString(input, 'stateMachineArn', 1, 256, 'InvalidArn');
      if (arn !== this.self?.stateMachineArn)
        throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
      listed = [
        ...[...this.records.executions.values()].filter((e) => e.stateMachineArn === arn),
        ...this.others(),
      ];
    }
    const status = input.statusFilter as string | undefined;
    const matching = listed.filter((e) => status === undefined || e.status === status);
    return this.page(
      input,
      'maxResults',
      1000,
      matching.map((e) => this.summary(e)),
      'executions',
    );
  }

  private listMapRuns(input: Record<string, unknown>) {
    const run = this.find(input);
    const mapRuns = this.records.mapRuns
      .filter((m) => m.executionArn === run.executionArn)
      .map((m) => ({
        executionArn: m.executionArn,
        mapRunArn: m.mapRunArn,
        stateMachineArn: m.stateMachineArn,
        startDate: seconds(m.startMs),
        ...(m.stopMs !== undefined ? { stopDate: seconds(m.stopMs) } : {}),
      }));
    return this.page(input, 'maxResults', 1000, mapRuns, 'mapRuns');
  }

  private history(input: Record<string, unknown>) {
    const e = this.find(input);
    const ordered = input.reverseOrder ? [...e.history].reverse() : e.history;
    const events = ordered.map((h) => ({
      id: h.id,
      ...(h.id > 1 ? { previousEventId: h.id - 1 } : {}),
      timestamp: seconds(h.timestampMs),
      type: h.type,
      ...(h.details ? { [h.details.key]: h.details.value } : {}),
    }));
    return this.page(input, 'maxResults', 1000, events, 'events');
  }

  /** One page of `items` from `nextToken`, at most `maxResults` (1-`max`) of them. */
  private page<T>(input: Record<string, unknown>, field: string, max: number, items: T[], key: string) {
    const size = (input[field] as number | undefined) || 100;
    if (!Number.isInteger(size) || size < 1 || size > max)
      throw new ServiceError('ValidationException', `${field} ${size} must be 1-${max}`);
    const offset = input.nextToken === undefined ? 0 : Number(input.nextToken);
    if (!Number.isInteger(offset) || offset < 0)
      throw new ServiceError('InvalidToken', `Invalid token ${String(input.nextToken)}`);
    return {
      [key]: items.slice(offset, offset + size),
      ...(offset + size < items.length ? { nextToken: String(offset + size) } : {}),
    };
  }
}
