/**
 * Starts the export of a Glue ML transform's labels (StartExportLabelsTaskRun). Glue has no idempotency
 * token, so the task first looks for an EXPORT_LABELS task run of this transform writing to this run's
 * output path (GetMLTaskRuns) and adopts it: a retried or redriven start never starts a second task run.
 * Then it looks up the transform's recent exports (./history.ts), from which the checks are timed.
 */
import { GlueClient, StartExportLabelsTaskRunCommand, type TaskRun } from '@aws-sdk/client-glue';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError, isCapacityRefusal } from '../shared/aws-errors';
import { waitForCapacity } from '../shared/capacity';
import { exportTaskRunsSince, outputPathOf } from '../shared/glue-task-runs';
import { logger, withLambdaContext } from '../shared/logger';
import { startTracking } from '../shared/polling';
import { withHistory } from '../shared/schedule';
import { requireExport, type GlueTask } from '../shared/task-state';
import { resolveState } from '../shared/catalog';
import type { ExportState, ItemState } from '../shared/types';
import { lookUpGlueHistory } from './history';

const glue = new GlueClient(CLIENT_CONFIG);
/**
 * StartExportLabelsTaskRun is not idempotent: an SDK retry after a lost response would start a second task
 * run. This client never retries; the state machine retries the whole task, which looks up first.
 */
const glueStartOnce = new GlueClient({ ...CLIENT_CONFIG, maxAttempts: 1 });

export async function findExistingExport(task: GlueTask, runStartTime: string): Promise<TaskRun | undefined> {
  for await (const run of exportTaskRunsSince(glue, task.transformId, runStartTime)) {
    if (outputPathOf(run) === task.outputS3Path) return run;
  }
  return undefined;
}

export const handler = withLambdaContext(async (item: ItemState): Promise<ExportState> => {
  // The run's list names configured exports: this is where each becomes this run's task.
  const state = resolveState(item);
  const task = requireExport(state, 'glue');
  // Per message, not appendKeys: a warm function must not carry one export's keys into the next.
  const keys = { exportName: task.name, transformId: task.transformId };

  const existing = await findExistingExport(task, state.run.startTime);
  let taskRunId = existing?.TaskRunId;
  if (taskRunId) {
    logger.info('Adopting the export task run started earlier for this output path', {
      ...keys,
      taskRunId,
      status: existing?.Status,
    });
  } else {
    let started;
    try {
      started = await glueStartOnce.send(
        new StartExportLabelsTaskRunCommand({
          TransformId: task.transformId,
          OutputS3Path: task.outputS3Path,
        }),
      );
    } catch (err) {
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
