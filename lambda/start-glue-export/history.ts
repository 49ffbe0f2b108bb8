/**
 * The export's recent label exports, for history-aware polling: one page of the transform's SUCCEEDED
 * EXPORT_LABELS task runs, newest first (GetMLTaskRuns), of which those that wrote under this export's own
 * prefix (no other export writes there: one folder per export), summarized into a few numbers. An export
 * given a new prefix starts without history. A failed look-up never fails the export: it logs a warning and
 * the export is polled with the backoff.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_GetMLTaskRuns.html
 */
import { GetMLTaskRunsCommand, GlueClient, type TaskRun } from '@aws-sdk/client-glue';
import { describeAwsError } from '../shared/aws-errors';
import { outputPathOf } from '../shared/glue-task-runs';
import { logger } from '../shared/logger';
import { HISTORY_SIZE, summarizeDurations } from '../shared/schedule';
import type { GlueTask } from '../shared/task-state';
import type { HistorySummary, PollingSettings } from '../shared/types';

// A look-up that fails twice is not worth delaying the export for.
const glue = new GlueClient({ maxAttempts: 2 });
/** One page, large: other exports of the same transform (given in a run's input) share its task runs. */
const PAGE_SIZE = 100;

/** Seconds from the task run's start to its end (StartedOn to CompletedOn, else ExecutionTime). */
export function taskRunSeconds(run: TaskRun): number | undefined {
  if (run.StartedOn && run.CompletedOn) return (run.CompletedOn.getTime() - run.StartedOn.getTime()) / 1000;
  return run.ExecutionTime && run.ExecutionTime > 0 ? run.ExecutionTime : undefined;
}

export async function lookUpGlueHistory(
  task: GlueTask,
  polling: PollingSettings,
  currentTaskRunId: string,
): Promise<HistorySummary | undefined> {
  if (polling.strategy === 'backoff') return undefined;
  try {
    const response = await glue.send(
      new GetMLTaskRunsCommand({
        TransformId: task.transformId,
        MaxResults: PAGE_SIZE,
        Filter: { TaskRunType: 'EXPORT_LABELS', Status: 'SUCCEEDED' },
        Sort: { Column: 'STARTED', SortDirection: 'DESCENDING' },
      }),
    );
    const durations = (response?.TaskRuns ?? [])
      .filter((run) => run.Status === 'SUCCEEDED' && run.TaskRunId !== currentTaskRunId)
      .filter((run) => (run.Properties?.TaskType ?? 'EXPORT_LABELS') === 'EXPORT_LABELS')
      .filter((run) => outputPathOf(run)?.startsWith(task.outputS3Prefix))
      .slice(0, HISTORY_SIZE)
      .map(taskRunSeconds)
      .filter((seconds): seconds is number => seconds !== undefined);
    return summarizeDurations(durations);
  } catch (err) {
    logger.warn('Could not look up the export history; polling with the backoff', {
      exportName: task.name,
      transformId: task.transformId,
      error: describeAwsError(err),
    });
    return undefined;
  }
}
