/**
 * Starts the export of a Glue ML transform's labels (StartExportLabelsTaskRun). Glue has no idempotency
 * token, so the task first looks for an EXPORT_LABELS task run of this transform writing to this run's
 * output path (GetMLTaskRuns) and adopts it: a retried or redriven start never starts a second task run.
 * Then it looks up the transform's recent exports (./history.ts), from which the checks are timed.
 */
import {
  GetMLTaskRunsCommand,
  GlueClient,
  StartExportLabelsTaskRunCommand,
  type TaskRun,
} from '@aws-sdk/client-glue';
import { classifyAwsError } from '../shared/aws-errors';
import { logger, withLambdaContext } from '../shared/logger';
import { startTracking } from '../shared/polling';
import { withHistory } from '../shared/schedule';
import { requireExport, type GlueTask } from '../shared/task-state';
import { resolveState } from '../shared/catalog';
import type { ExportState, ItemState } from '../shared/types';
import { lookUpGlueHistory } from './history';

const glue = new GlueClient({});
/**
 * StartExportLabelsTaskRun is not idempotent: an SDK retry after a lost response would start a second task
 * run. This client never retries; the state machine retries the whole task, which looks up first.
 */
const glueStartOnce = new GlueClient({ maxAttempts: 1 });

/** Task runs started this long before the execution are not considered (clock skew margin). */
const LOOKBACK_MS = 5 * 60 * 1000;
const MAX_PAGES = 10;

export async function findExistingExport(task: GlueTask, runStartTime: string): Promise<TaskRun | undefined> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await glue
      .send(
        new GetMLTaskRunsCommand({
          TransformId: task.transformId,
          MaxResults: 100,
          NextToken: nextToken,
          Filter: {
            TaskRunType: 'EXPORT_LABELS',
            StartedAfter: new Date(Date.parse(runStartTime) - LOOKBACK_MS),
          },
          Sort: { Column: 'STARTED', SortDirection: 'DESCENDING' },
        }),
      )
      .catch((err: unknown) => {
        throw classifyAwsError(err, 'Glue GetMLTaskRuns', `transform ${task.transformId}`);
      });
    const match = response.TaskRuns?.find(
      (run) => run.Properties?.ExportLabelsTaskRunProperties?.OutputS3Path === task.outputS3Path,
    );
    if (match) return match;
    nextToken = response.NextToken;
    if (!nextToken) return undefined;
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
    const started = await glueStartOnce
      .send(
        new StartExportLabelsTaskRunCommand({
          TransformId: task.transformId,
          OutputS3Path: task.outputS3Path,
        }),
      )
      .catch((err: unknown) => {
        throw classifyAwsError(err, 'Glue StartExportLabelsTaskRun', `transform ${task.transformId}`);
      });
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
  const tracking = startTracking({ taskRunId }, Boolean(existing), now, state.run.polling);
  return { ...state, tracking: withHistory(tracking, history, now, state.run.polling, jobStartedMs) };
});
