/**
 * Starts the export of a Glue ML transform's labels (StartExportLabelsTaskRun). Glue has no idempotency
 * token, so the task first looks for an EXPORT_LABELS task run of this transform writing to this run's
 * output path (GetMLTaskRuns) and adopts it: a retried or redriven start never starts a second task run,
 * except in place of one the clean-up of a stopped run cancelled before the run was redriven. Before a new
 * task run it applies the overlap rule (a redriven run yields to a newer run exporting the same transform)
 * and counts the transform's running task runs against Glue's per-transform quota. Then it looks up the
 * export's recent runs (./history.ts), from which the checks are timed.
 */
import { GlueClient, StartExportLabelsTaskRunCommand, type TaskRun } from '@aws-sdk/client-glue';
import { ERROR_NAMES, GLUE_TASK_RUNS_PER_TRANSFORM } from '../../contract/names';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError, isCapacityRefusal } from '../shared/aws-errors';
import { waitForCapacity } from '../shared/capacity';
import {
  exportTaskRunsSince,
  isStoppedTaskRun,
  outputPathOf,
  stoppedBeforeRedrive,
  taskRunsInFlight,
} from '../shared/glue-task-runs';
import { logger, withLambdaContext } from '../shared/logger';
import { describeRun } from '../shared/overlap';
import { startTracking } from '../shared/polling';
import { yieldToEarlierRun } from '../shared/run-overlap';
import { withHistory } from '../shared/schedule';
import { requireExport, type GlueTask } from '../shared/task-state';
import { resolveState } from '../shared/catalog';
import type { ExportState, ItemState, RunContext } from '../shared/types';
import { lookUpGlueHistory } from './history';

const glue = new GlueClient(CLIENT_CONFIG);
/**
 * StartExportLabelsTaskRun is not idempotent: an SDK retry after a lost response would start a second task
 * run. This client never retries; the state machine retries the whole task, which looks up first.
 */
const glueStartOnce = new GlueClient({ ...CLIENT_CONFIG, maxAttempts: 1 });

/** The newest task run of this transform writing to this run's output path, if any. */
export async function findExistingExport(task: GlueTask, runStartTime: string): Promise<TaskRun | undefined> {
  for await (const run of exportTaskRunsSince(glue, task.transformId, runStartTime)) {
    if (outputPathOf(run) === task.outputS3Path) return run;
  }
  return undefined;
}

/** The task run to adopt: the one found, unless the clean-up of a stopped run cancelled it before a redrive. */
async function adoptable(found: TaskRun | undefined, run: RunContext, keys: Record<string, string>) {
  if (!found || !isStoppedTaskRun(found)) return found;
  if (!stoppedBeforeRedrive(found, await describeRun(run.executionArn))) return found;
  logger.info('Not adopting the task run stopped before the run was redriven: starting a new one', {
    ...keys,
    taskRunId: found.TaskRunId,
    status: found.Status,
  });
  return undefined;
}

/** A transform already running Glue's per-transform quota of task runs: the start waits for a slot. */
class TransformAtCapacity extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.transformAtCapacity;
  }
}

export const handler = withLambdaContext(async (item: ItemState): Promise<ExportState> => {
  // The run's list names configured exports: this is where each becomes this run's task.
  const state = resolveState(item);
  const task = requireExport(state, 'glue');
  // Per message, not appendKeys: a warm function must not carry one export's keys into the next.
  const keys = { exportName: task.name, transformId: task.transformId };

  const existing = await adoptable(await findExistingExport(task, state.run.startTime), state.run, keys);
  let taskRunId = existing?.TaskRunId;
  if (taskRunId) {
    logger.info('Adopting the export task run started earlier for this output path', {
      ...keys,
      taskRunId,
      status: existing?.Status,
    });
  } else {
    await yieldToEarlierRun(state.run, [task], `export ${task.name} started no task run`);
    const inFlight = await taskRunsInFlight(glue, task.transformId, GLUE_TASK_RUNS_PER_TRANSFORM);
    if (inFlight >= GLUE_TASK_RUNS_PER_TRANSFORM) {
      const full = new TransformAtCapacity(
        `transform ${task.transformId} has ${inFlight} task runs starting or running, Glue's quota per transform (${GLUE_TASK_RUNS_PER_TRANSFORM})`,
      );
      return waitForCapacity(state, full, keys);
    }
    let started;
    try {
      started = await glueStartOnce.send(
        new StartExportLabelsTaskRunCommand({
          TransformId: task.transformId,
          OutputS3Path: task.outputS3Path,
        }),
      );
    } catch (err) {
      // Glue does not document what it answers beyond a quota: a refusal naming a limit waits too.
      if (isCapacityRefusal(err)) return waitForCapacity(state, err, keys);
      throw classifyAwsError(err, 'Glue StartExportLabelsTaskRun', `transform ${task.transformId}`);
    }
    taskRunId = started.TaskRunId;
    if (!taskRunId)
      throw classifyAwsError(
        new Error('no TaskRunId in the response'),
        'Glue StartExportLabelsTaskRun',
        `transform ${task.transformId}`,
      );
    logger.info('Started label export task run', { ...keys, taskRunId, outputS3Path: task.outputS3Path });
  }
  const jobStartedMs = existing?.StartedOn?.getTime() ?? Date.now();
  const history = await lookUpGlueHistory(task, state.run.polling, taskRunId);
  const now = Date.now();
  const tracking = startTracking({ taskRunId }, Boolean(existing), now, state.run.polling, state.capacity);
  return { ...state, tracking: withHistory(tracking, history, now, state.run.polling, jobStartedMs) };
});
