/**
 * The clean-up of a run that ended without its own run event: stopped (StopExecution, ABORTED), at the state
 * machine's timeout (TIMED_OUT), or failed in one of its own steps (FAILED anywhere but Run Failed). Invoked
 * by an EventBridge rule on the run's "Step Functions Execution Status Change" event, it first confirms with
 * Step Functions that the execution is this state machine's and really ended so, then works out from the run
 * itself (./run-history.ts) which exports had ended and which had not, and sends what the run still owes:
 * the events its children held or never sent, one ML Export Stopped per unfinished export (its Glue task
 * run cancelled, or its Personalize job said to be still running: ./unfinished-exports.ts), then one
 * ML Export Run Stopped.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
import type { StoppedRunEventDetail } from '../../contract/events';
import {
  ENDED_RUN_STATUSES,
  RUN_DETAIL_TYPES,
  STATE_NAMES,
  EXPORT_DETAIL_TYPES,
  type EndedRunStatus,
} from '../../contract/names';
import { describeCaughtError } from '../shared/caught-error';
import { isResolved } from '../shared/catalog';
import { parseJsonObject, toChildOutcome, type OwedEvent } from '../shared/child-outcome';
import { InvalidTaskStateError } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import { deliverEvents } from '../shared/put-events';
import type { ExportItem, ExportResult, ExportTask, Tracking } from '../shared/types';
import {
  childExecutions,
  describeExecution,
  sentRunEvent,
  standingOf,
  type ChildExecution,
} from './run-history';
import {
  settleJob,
  stoppedDetail,
  type EndedRun,
  type JobOutcome,
  type UnfinishedExport,
} from './unfinished-exports';

/**
 * A start task in flight when the run ended runs on to its end (its function's 30 s timeout) and may still
 * start a job: the clean-up looks for that export's job a second time once that has passed.
 */
export const SECOND_LOOK_AFTER_MS = 35_000;
/** Children still RUNNING (Step Functions stops them after their parent) are waited for this long at most. */
const CHILDREN_SETTLE_TRIES = 6;
const CHILDREN_SETTLE_MS = 5_000;
/** Jobs looked after at once. */
const JOBS_AT_ONCE = 5;
const MAX_LISTED = 100;

/** The detail of a "Step Functions Execution Status Change" event (the fields used here). */
export interface ExecutionStatusChangeDetail {
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly status?: string;
}

export interface ExecutionStatusChangeEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: ExecutionStatusChangeDetail;
}

export interface CleanupReport {
  readonly executionArn?: string;
  /** Why nothing was done, when nothing was. */
  readonly skipped?: string;
  readonly status?: EndedRunStatus;
  readonly exportCount: number;
  /** The unfinished exports and what became of their jobs. */
  readonly stopped: ({ readonly exportName: string } & JobOutcome)[];
  /** Events the run's children held or never sent, delivered now. */
  readonly owed: number;
}

/**
 * A Distributed Map's child executions run under a labelled ARN, `execution:<state machine>/<label>:<id>`:
 * their own exports are the parent run's, which this function cleans up from the parent's event.
 */
export function isMapChildExecution(executionArn: string): boolean {
  const stateMachineSegment = executionArn.split(':')[6] ?? '';
  return stateMachineSegment.includes('/');
}

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new InvalidTaskStateError(`cancel-stopped-run needs the ${name} environment variable`);
  return value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The run's children once none is still running (Step Functions stops them after the parent). */
async function settledChildren(executionArn: string): Promise<ChildExecution[]> {
  let children = await childExecutions(executionArn);
  for (let i = 1; i < CHILDREN_SETTLE_TRIES && children.some((c) => c.status === 'RUNNING'); i++) {
    await sleep(CHILDREN_SETTLE_MS);
    children = await childExecutions(executionArn);
  }
  return children;
}

interface Accounting {
  readonly results: ExportResult[];
  readonly owed: OwedEvent[];
  readonly unfinished: UnfinishedExport[];
}

/** What each export of the run came to: ended (with an event sent or owed), or unfinished. */
async function accountFor(
  list: readonly ExportItem[],
  children: readonly ChildExecution[],
): Promise<Accounting> {
  const results: ExportResult[] = [];
  const owed: OwedEvent[] = [];
  const unfinished: UnfinishedExport[] = [];
  const seen = new Set<string>();
  for (const child of children) {
    const input = parseJsonObject(child.input) as { export?: ExportItem } | undefined;
    const item = input?.export;
    if (!item?.name || seen.has(item.name)) continue;
    seen.add(item.name);
    if (child.status === 'SUCCEEDED' || child.status === 'FAILED' || child.status === 'TIMED_OUT') {
      const outcome = toChildOutcome({
        Status: child.status,
        Input: child.input,
        Output: child.output,
        Error: child.error,
        Cause: child.cause,
      });
      results.push(outcome.result);
      if (outcome.owed) owed.push(outcome.owed);
      continue;
    }
    // Stopped with its parent: where it stood tells whether its event went out, was made, or is owed.
    const standing = await standingOf(child.executionArn);
    const data = standing.data ?? {};
    const result = data.result as ExportResult | undefined;
    if (standing.exited.has(STATE_NAMES.emitExportEvent) && result) {
      results.push(result);
    } else if (data.event && result) {
      results.push(result);
      owed.push(data.event as OwedEvent);
    } else {
      const exported = data.export as ExportItem | ExportTask | undefined;
      unfinished.push({
        item,
        ...(exported && isResolved(exported) ? { task: exported } : {}),
        ...(data.tracking ? { tracking: data.tracking as Tracking } : {}),
        lastState: standing.lastState,
        startInFlight: Boolean(standing.lastState?.startsWith('Start ') && !standing.lastStateExited),
      });
    }
  }
  // Exports whose child never started (the Map had not got to them).
  for (const item of list) if (!seen.has(item.name)) unfinished.push({ item, startInFlight: false });
  return { results, owed, unfinished };
}

/** Each unfinished export's job, a few at a time. */
async function settleJobs(unfinished: readonly UnfinishedExport[], run: EndedRun): Promise<JobOutcome[]> {
  const outcomes: JobOutcome[] = new Array(unfinished.length);
  const queue = unfinished.map((u, i) => [u, i] as const);
  await Promise.all(
    Array.from({ length: Math.min(JOBS_AT_ONCE, queue.length) }, async () => {
      for (let next = queue.shift(); next; next = queue.shift())
        outcomes[next[1]] = await settleJob(next[0], run);
    }),
  );
  return outcomes;
}

export async function cleanUpEndedRun(
  event: ExecutionStatusChangeEvent,
  options: { readonly secondLookAfterMs?: number } = {},
): Promise<CleanupReport> {
  const executionArn = event?.detail?.executionArn;
  const nothing = (skipped: string): CleanupReport => ({
    executionArn,
    skipped,
    exportCount: 0,
    stopped: [],
    owed: 0,
  });
  if (typeof executionArn !== 'string' || !executionArn.includes(':execution:'))
    return nothing(`not an execution status change event: ${JSON.stringify(event?.detail).slice(0, 300)}`);
  if (isMapChildExecution(executionArn)) return nothing('a child execution of the Distributed Map');
  const stateMachineArn = requireEnv('STATE_MACHINE_ARN');
  const target = { source: requireEnv('EVENT_SOURCE'), eventBusName: requireEnv('EVENT_BUS') };

  // The event is only a trigger: Step Functions says whose execution it is and how it ended.
  const described = await describeExecution(executionArn);
  if (described.stateMachineArn !== stateMachineArn)
    return nothing(`not an execution of this state machine (${described.stateMachineArn})`);
  const status = described.status as EndedRunStatus;
  if (!ENDED_RUN_STATUSES.includes(status))
    return nothing(`the execution is ${status} (redriven, or it ended by itself): nothing to clean up`);
  const standing = await standingOf(executionArn, true);
  if (sentRunEvent(standing))
    return nothing(`the run sent its own run event (it ended in "${standing.lastState}")`);

  const listed = standing.runList;
  const run: EndedRun = (listed?.run as EndedRun | undefined) ?? {
    executionName: String(described.name),
    executionArn,
    startTime: (described.startDate ?? new Date()).toISOString(),
  };
  const list = (listed?.exports ?? []) as ExportItem[];
  const children = list.length > 0 ? await settledChildren(executionArn) : [];
  const { results, owed, unfinished } = await accountFor(list, children);

  const jobs = await settleJobs(unfinished, run);
  const secondLook = unfinished.flatMap((u, i) =>
    u.startInFlight && jobs[i].jobState === 'NOT_STARTED' ? [i] : [],
  );
  if (secondLook.length > 0 && (options.secondLookAfterMs ?? SECOND_LOOK_AFTER_MS) > 0) {
    await sleep(options.secondLookAfterMs ?? SECOND_LOOK_AFTER_MS);
    for (const i of secondLook) jobs[i] = await settleJob(unfinished[i], run);
  }

  const stopDate = (described.stopDate ?? new Date()).toISOString();
  const stoppedEvents: OwedEvent[] = unfinished.map((u, i) => ({
    detailType: EXPORT_DETAIL_TYPES.STOPPED,
    detail: { ...stoppedDetail(u, jobs[i], run, { status, at: stopDate }) },
  }));
  const runEvent: OwedEvent = {
    detailType: RUN_DETAIL_TYPES.stopped,
    detail: { ...runDetail(described, standing.lastState, results, unfinished, owed.length) },
  };
  // The run event last, after every export's.
  await deliverEvents([...owed, ...stoppedEvents, runEvent], target);
  return {
    executionArn,
    status,
    exportCount: results.length + unfinished.length,
    stopped: unfinished.map((u, i) => ({ exportName: u.item.name, ...jobs[i] })),
    owed: owed.length,
  };
}

function runDetail(
  described: Awaited<ReturnType<typeof describeExecution>>,
  lastState: string | undefined,
  results: readonly ExportResult[],
  unfinished: readonly UnfinishedExport[],
  lateEvents: number,
): StoppedRunEventDetail {
  const status = described.status as EndedRunStatus;
  const startedAt = (described.startDate ?? new Date()).toISOString();
  const completedAt = (described.stopDate ?? new Date()).toISOString();
  const named = (outcome: ExportResult['outcome']) =>
    results.filter((r) => r.outcome === outcome).map((r) => r.name);
  const stoppedExports = unfinished.map((u) => u.item.name);
  const where = lastState ? ` in state "${lastState}"` : '';
  const left =
    stoppedExports.length > 0
      ? `; ${stoppedExports.length} export(s) had not ended, each told in its own ML Export Stopped event`
      : '';
  const error =
    status === 'FAILED'
      ? (({ type, message }) => ({ type, message: `the run failed${where}: ${message}${left}` }))(
          describeCaughtError({ Error: described.error ?? 'ExecutionFailed', Cause: described.cause }),
        )
      : status === 'TIMED_OUT'
        ? {
            type: 'ExecutionTimedOut',
            message: `the run reached the state machine's timeout at ${completedAt}${where}${left}`,
          }
        : {
            type: 'ExecutionAborted',
            message: `the run was stopped (StopExecution) at ${completedAt}${where}${left}`,
          };
  return {
    executionName: String(described.name),
    executionArn: String(described.executionArn),
    status,
    startedAt,
    completedAt,
    durationSeconds: Math.max(0, Math.round((Date.parse(completedAt) - Date.parse(startedAt)) / 1000)),
    exportCount: results.length + unfinished.length,
    succeeded: named('SUCCEEDED').length,
    failed: named('FAILED').length,
    timedOut: named('TIMED_OUT').length,
    stopped: stoppedExports.length,
    failedExports: named('FAILED').slice(0, MAX_LISTED),
    timedOutExports: named('TIMED_OUT').slice(0, MAX_LISTED),
    stoppedExports: stoppedExports.slice(0, MAX_LISTED),
    ...(lastState ? { failedState: lastState } : {}),
    ...(lateEvents > 0 ? { lateEvents } : {}),
    error,
  };
}

export const handler = withLambdaContext(
  async (event: ExecutionStatusChangeEvent): Promise<CleanupReport> => {
    const report = await cleanUpEndedRun(event);
    if (report.skipped) {
      logger.info('Nothing to clean up for this execution', {
        executionArn: report.executionArn,
        reason: report.skipped,
      });
    } else {
      logger.info('Cleaned up an ended run', {
        executionArn: report.executionArn,
        status: report.status,
        exportCount: report.exportCount,
        stopped: report.stopped.length,
        cancelled: report.stopped.filter((s) => s.jobState === 'CANCELLED').length,
        owed: report.owed,
      });
      const problems = report.stopped.filter((s) => s.problem);
      if (problems.length > 0)
        logger.error('Some jobs of an ended run could not be stopped or found', { problems });
    }
    return report;
  },
);
