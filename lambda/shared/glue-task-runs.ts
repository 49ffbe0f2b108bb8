/**
 * The label export task runs of a transform started since a run began (GetMLTaskRuns), newest first.
 * Glue has no idempotency token and no tags on task runs: a run's task run is known by its transform and
 * its output path, which is unique to the run (`<prefix><yyyy-mm-dd>/<execution name>/`).
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_GetMLTaskRuns.html
 */
import { GetMLTaskRunsCommand, type GlueClient, type TaskRun } from '@aws-sdk/client-glue';
import { classifyAwsError } from './aws-errors';

/** Task runs started this long before the execution are not considered (clock skew margin). */
export const LOOKBACK_MS = 5 * 60 * 1000;
const MAX_PAGES = 10;

/** Pages through the EXPORT_LABELS task runs started after `runStartTime` less the margin. */
export async function* exportTaskRunsSince(
  glue: GlueClient,
  transformId: string,
  runStartTime: string,
): AsyncGenerator<TaskRun> {
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await glue
      .send(
        new GetMLTaskRunsCommand({
          TransformId: transformId,
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
        throw classifyAwsError(err, 'Glue GetMLTaskRuns', `transform ${transformId}`);
      });
    yield* response.TaskRuns ?? [];
    nextToken = response.NextToken;
    if (!nextToken) return;
  }
}

/** Where a label export task run writes. */
export function outputPathOf(run: TaskRun): string | undefined {
  return run.Properties?.ExportLabelsTaskRunProperties?.OutputS3Path;
}

/**
 * How many task runs of any type the transform has STARTING or RUNNING, counted up to `atMost`: Glue allows
 * a few per transform (GLUE_TASK_RUNS_PER_TRANSFORM), and what it answers a start beyond them is not
 * documented, so the start task counts before it starts.
 */
export async function taskRunsInFlight(
  glue: GlueClient,
  transformId: string,
  atMost: number,
): Promise<number> {
  let count = 0;
  for (const Status of ['RUNNING', 'STARTING'] as const) {
    const response = await glue
      .send(new GetMLTaskRunsCommand({ TransformId: transformId, MaxResults: atMost, Filter: { Status } }))
      .catch((err: unknown) => {
        throw classifyAwsError(err, 'Glue GetMLTaskRuns', `transform ${transformId}`);
      });
    count += (response.TaskRuns ?? []).filter((run) => run.Status === Status).length;
  }
  return count;
}

/** A task run being stopped or stopped. */
export function isStoppedTaskRun(run: Pick<TaskRun, 'Status'>): boolean {
  return run.Status === 'STOPPING' || run.Status === 'STOPPED';
}

/**
 * Whether a stopped task run was stopped before the run's latest redrive: by the clean-up of the stopped run
 * (or by hand while the run was not running). A redriven export does not adopt it: it starts a new one.
 */
export function stoppedBeforeRedrive(
  run: Pick<TaskRun, 'Status' | 'StartedOn'>,
  standing: { readonly redriveDate?: Date },
): boolean {
  return (
    isStoppedTaskRun(run) &&
    standing.redriveDate !== undefined &&
    (run.StartedOn?.getTime() ?? 0) < standing.redriveDate.getTime()
  );
}
