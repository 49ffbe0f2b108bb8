/**
 * Cancels the Glue task runs an execution left running when it was stopped (StopExecution, ABORTED) or hit
 * the state machine's timeout (TIMED_OUT): neither lets the workflow's own tasks run, so nothing else would
 * stop them. Invoked by an EventBridge rule on "Step Functions Execution Status Change" events.
 *
 * The execution's Glue exports are worked out from its input as Prepare Run does (the export catalog bundled
 * with this function), their output paths as the start task makes them, and their task runs found by
 * transform and output path (GetMLTaskRuns). Personalize has no call to stop a dataset export job.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_CancelMLTaskRun.html
 */
import { CancelMLTaskRunCommand, GlueClient, type TaskRun } from '@aws-sdk/client-glue';
import { createdResources, selectExports } from '../prepare-run';
import { classifyAwsError } from '../shared/aws-errors';
import { CLIENT_CONFIG } from '../shared/client-config';
import { configuredCatalog } from '../shared/catalog';
import { InvalidExecutionInputError, TransientServiceError } from '../shared/errors';
import { exportTaskRunsSince, outputPathOf } from '../shared/glue-task-runs';
import { logger, withLambdaContext } from '../shared/logger';
import { toExportTask } from '../shared/naming';
import type { ExportTask } from '../shared/types';

const glue = new GlueClient(CLIENT_CONFIG);

/** Task runs still working; STOPPING ones are already being stopped. */
const CANCELLABLE = new Set(['STARTING', 'RUNNING']);
/** Transforms looked at in parallel: enough for thousands of exports, gentle on Glue's request rate. */
const TRANSFORMS_AT_ONCE = 5;
/**
 * A start task in flight when the run stopped runs on to its end (its function's 30 s timeout) and may
 * still start a task run: the function looks a second time once that has passed.
 */
export const SECOND_LOOK_AFTER_MS = 35_000;

/** The detail of a "Step Functions Execution Status Change" event (the fields used here). */
export interface ExecutionStatusChangeDetail {
  readonly executionArn?: string;
  readonly stateMachineArn?: string;
  readonly name?: string;
  readonly status?: string;
  /** Epoch milliseconds. */
  readonly startDate?: number | string;
  /** The execution input as a JSON string; null when too large to include (inputDetails.included false). */
  readonly input?: string | null;
  readonly inputDetails?: { readonly included?: boolean };
}

export interface ExecutionStatusChangeEvent {
  readonly source?: string;
  readonly 'detail-type'?: string;
  readonly detail?: ExecutionStatusChangeDetail;
}

export interface CancelledTaskRun {
  readonly exportName: string;
  readonly transformId: string;
  readonly taskRunId: string;
}

export interface CleanupReport {
  readonly executionArn?: string;
  /** Why the execution's task runs were not looked for, when they were not. */
  readonly skipped?: string;
  readonly glueExports: number;
  readonly cancelled: CancelledTaskRun[];
  /** Calls that failed for good (not found, denied, a task run that ended meanwhile): logged, not retried. */
  readonly notCancelled: string[];
}

/**
 * A Distributed Map's child executions run under a labelled ARN, `execution:<state machine>/<label>:<id>`:
 * their own exports are the parent run's, which this function cleans up from the parent's event.
 */
export function isMapChildExecution(executionArn: string): boolean {
  const stateMachineSegment = executionArn.split(':')[6] ?? '';
  return stateMachineSegment.includes('/');
}

/** The execution's Glue exports, as Prepare Run selected them and the start task named their output paths. */
export function glueExportsOf(
  detail: Required<Pick<ExecutionStatusChangeDetail, 'name'>>,
  input: unknown,
  startTime: string,
) {
  const { exports: configured, allowedOutputS3Prefixes } = configuredCatalog();
  return selectExports(input, configured, allowedOutputS3Prefixes, createdResources(process.env))
    .map((spec) => toExportTask(spec, { startTime, executionName: detail.name }))
    .filter((task): task is Extract<ExportTask, { type: 'glue' }> => task.type === 'glue');
}

export async function cleanUpStoppedRun(
  event: ExecutionStatusChangeEvent,
  options: { readonly secondLookAfterMs?: number } = {},
): Promise<CleanupReport> {
  const detail = event?.detail ?? {};
  const { executionArn, name } = detail;
  const nothing = (skipped: string): CleanupReport => ({
    executionArn,
    skipped,
    glueExports: 0,
    cancelled: [],
    notCancelled: [],
  });
  const startMs = typeof detail.startDate === 'string' ? Date.parse(detail.startDate) : detail.startDate;
  if (!executionArn || !name || typeof startMs !== 'number' || Number.isNaN(startMs)) {
    return nothing(`not an execution status change event: ${JSON.stringify(detail).slice(0, 300)}`);
  }
  if (isMapChildExecution(executionArn)) return nothing('a child execution of the Distributed Map');
  // An input too large for the event is left out of it: look for every configured export's task run then
  // (a superset of the run's; only this run's output paths match). Explicit exports' own prefixes are missed.
  const inputIncluded = typeof detail.input === 'string' && detail.inputDetails?.included !== false;
  if (!inputIncluded) {
    logger.warn('The event does not include the execution input: looking for every configured Glue export', {
      executionArn,
    });
  }
  let tasks: ReturnType<typeof glueExportsOf>;
  try {
    const input: unknown = inputIncluded ? JSON.parse(detail.input as string) : {};
    tasks = glueExportsOf({ name }, input, new Date(startMs).toISOString());
  } catch (err) {
    if (err instanceof InvalidExecutionInputError || err instanceof SyntaxError) {
      return nothing(`the run's input was rejected, so it started no job: ${err.message}`);
    }
    throw err;
  }

  const byTransform = new Map<string, Map<string, string>>();
  for (const task of tasks) {
    const paths = byTransform.get(task.transformId) ?? new Map<string, string>();
    paths.set(task.outputS3Path, task.name);
    byTransform.set(task.transformId, paths);
  }
  const cancelled: CancelledTaskRun[] = [];
  const notCancelled = new Set<string>();
  const transient = new Set<string>();
  const record = (err: Error) =>
    (err instanceof TransientServiceError ? transient : notCancelled).add(err.message);
  const startTime = new Date(startMs).toISOString();

  const cleanTransform = async (transformId: string, paths: Map<string, string>) => {
    const runs: TaskRun[] = [];
    try {
      for await (const run of exportTaskRunsSince(glue, transformId, startTime)) {
        if (paths.has(outputPathOf(run) ?? '') && CANCELLABLE.has(run.Status ?? '')) runs.push(run);
      }
    } catch (err) {
      record(err as Error);
      return;
    }
    for (const run of runs) {
      const taskRunId = run.TaskRunId ?? '';
      const exportName = paths.get(outputPathOf(run) ?? '') ?? '';
      try {
        const response = await glue.send(
          new CancelMLTaskRunCommand({ TransformId: transformId, TaskRunId: taskRunId }),
        );
        cancelled.push({ exportName, transformId, taskRunId });
        logger.info('Cancelled a task run of a stopped run', {
          executionName: name,
          exportName,
          transformId,
          taskRunId,
          status: response.Status,
        });
      } catch (err) {
        record(
          classifyAwsError(err, 'Glue CancelMLTaskRun', `transform ${transformId} task run ${taskRunId}`),
        );
      }
    }
  };
  const sweep = async () => {
    const queue = [...byTransform];
    await Promise.all(
      Array.from({ length: Math.min(TRANSFORMS_AT_ONCE, queue.length) }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) await cleanTransform(...next);
      }),
    );
  };
  await sweep();
  const secondLookAfterMs = options.secondLookAfterMs ?? SECOND_LOOK_AFTER_MS;
  if (byTransform.size > 0 && secondLookAfterMs > 0) {
    // What the first look cancelled is STOPPING now, so it is not cancelled twice.
    await new Promise((resolve) => setTimeout(resolve, secondLookAfterMs));
    await sweep();
  }

  const report: CleanupReport = {
    executionArn,
    glueExports: tasks.length,
    cancelled,
    notCancelled: [...notCancelled, ...transient],
  };
  if (notCancelled.size > 0)
    logger.error('Some task runs of a stopped run could not be cancelled', { ...report });
  if (transient.size > 0) {
    // Lambda retries the event (asynchronous invocation); what was cancelled is STOPPING by then, not retried.
    throw new TransientServiceError(
      `cancelling the task runs of ${executionArn} failed for now: ${[...transient].join('; ')}`,
    );
  }
  return report;
}

export const handler = withLambdaContext(
  async (event: ExecutionStatusChangeEvent): Promise<CleanupReport> => {
    const report = await cleanUpStoppedRun(event);
    if (report.skipped) {
      logger.info('Nothing to cancel for this execution', {
        executionArn: report.executionArn,
        reason: report.skipped,
      });
    } else {
      logger.info('Cleaned up a stopped run', {
        executionArn: report.executionArn,
        status: event.detail?.status,
        glueExports: report.glueExports,
        cancelled: report.cancelled.length,
        notCancelled: report.notCancelled.length,
      });
    }
    return report;
  },
);
