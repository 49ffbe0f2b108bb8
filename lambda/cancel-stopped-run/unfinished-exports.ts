/**
 * The exports a run left unfinished: each one's job, found from where its child execution stood (its job
 * id) or by the job's run-unique name or output path, cancelled when it is a Glue task run still starting or
 * running (CancelMLTaskRun), described when it is a Personalize job (which has no stop call); and the one
 * ML Export Stopped event that says so.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_CancelMLTaskRun.html
 * @see https://docs.aws.amazon.com/personalize/latest/dg/API_DescribeDatasetExportJob.html
 */
import { CancelMLTaskRunCommand, GetMLTaskRunCommand, GlueClient } from '@aws-sdk/client-glue';
import { DescribeDatasetExportJobCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import type { StoppedExportEventDetail } from '../../contract/events';
import { parseArn } from '../shared/arn';
import type { EndedRunStatus, StoppedJobState } from '../../contract/names';
import { awsErrorName, classifyAwsError } from '../shared/aws-errors';
import { configuredExports, isFullSpec, isResolved } from '../shared/catalog';
import { CLIENT_CONFIG } from '../shared/client-config';
import { TransientServiceError } from '../shared/errors';
import { exportTaskRunsSince, outputPathOf } from '../shared/glue-task-runs';
import { datasetExportJobArn, personalizeJobName, toExportTask } from '../shared/naming';
import type { ExportItem, ExportTask, RunContext, Tracking } from '../shared/types';

/** The run as the clean-up knows it: what names its exports' jobs and folders. */
export type EndedRun = Pick<RunContext, 'executionName' | 'executionArn' | 'startTime'>;

const glue = new GlueClient(CLIENT_CONFIG);
const personalize = new PersonalizeClient(CLIENT_CONFIG);

/** Task runs still working; STOPPING ones are already being stopped. */
const CANCELLABLE = new Set(['STARTING', 'RUNNING']);
const PERSONALIZE_RUNNING = new Set(['CREATE PENDING', 'CREATE IN_PROGRESS']);

/** An export of the run that had not ended, with what its child execution knew of it. */
export interface UnfinishedExport {
  /** As the run's list carries it. */
  readonly item: ExportItem;
  /** The export resolved for this run, when the child got that far. */
  readonly task?: ExportTask;
  readonly tracking?: Tracking;
  /** The state its child execution stood in; undefined when the child never started. */
  readonly lastState?: string;
  /** A start task was in flight: it runs on to its end and may still start the job. */
  readonly startInFlight: boolean;
}

/** What became of one export's job. */
export interface JobOutcome {
  readonly jobState: StoppedJobState;
  readonly serviceStatus?: string;
  readonly taskRunId?: string;
  readonly datasetExportJobArn?: string;
  /** Why the job could not be cancelled or found, when something failed for good. */
  readonly problem?: string;
}

/**
 * The export's task for this run: as its child resolved it, as the input gave it in full, or, for a
 * configured export whose child was stopped before its start task resolved it, from the export catalog
 * (the one that start task uses). Undefined when the catalog no longer has it: that start starts nothing.
 */
export function taskOf(unfinished: UnfinishedExport, run: EndedRun): ExportTask | undefined {
  if (unfinished.task) return unfinished.task;
  const item = unfinished.item;
  if (isResolved(item as ExportItem | ExportTask)) return item as unknown as ExportTask;
  if (isFullSpec(item)) return toExportTask(item, run);
  const spec = configuredExports().find((e) => e.name === item.name && e.type === item.type);
  return spec ? toExportTask(spec, run) : undefined;
}

/** Throws transient errors (Lambda retries the clean-up); returns permanent ones as a problem. */
function permanent(err: unknown, call: string, resource: string): string {
  const error = classifyAwsError(err, call, resource);
  if (error instanceof TransientServiceError) throw error;
  return error.message;
}

async function glueJob(
  task: Extract<ExportTask, { type: 'glue' }>,
  taskRunId: string | undefined,
  run: EndedRun,
) {
  let id = taskRunId;
  let status: string | undefined;
  if (id) {
    try {
      const found = await glue.send(
        new GetMLTaskRunCommand({ TransformId: task.transformId, TaskRunId: id }),
      );
      status = found.Status;
    } catch (err) {
      if (awsErrorName(err) !== 'EntityNotFoundException')
        return {
          jobState: 'STILL_RUNNING' as const,
          taskRunId: id,
          problem: permanent(err, 'Glue GetMLTaskRun', id),
        };
    }
  } else {
    // No id yet: the task run of this export, if its start got that far, is the one writing to its
    // run-unique output path.
    for await (const found of exportTaskRunsSince(glue, task.transformId, run.startTime)) {
      if (outputPathOf(found) !== task.outputS3Path) continue;
      id = found.TaskRunId;
      status = found.Status;
      break;
    }
  }
  if (!id || !status) return { jobState: 'NOT_STARTED' as const };
  if (!CANCELLABLE.has(status)) return { jobState: 'ENDED' as const, taskRunId: id, serviceStatus: status };
  try {
    const cancelled = await glue.send(
      new CancelMLTaskRunCommand({ TransformId: task.transformId, TaskRunId: id }),
    );
    return { jobState: 'CANCELLED' as const, taskRunId: id, serviceStatus: cancelled.Status ?? 'STOPPING' };
  } catch (err) {
    return {
      jobState: 'STILL_RUNNING' as const,
      taskRunId: id,
      serviceStatus: status,
      problem: permanent(err, 'Glue CancelMLTaskRun', `transform ${task.transformId} task run ${id}`),
    };
  }
}

/**
 * The Personalize job's ARN: as its child tracked it, or made from its run-unique name in the dataset's
 * account and region (those of the run, for an export the run could not resolve).
 */
export function personalizeJobArn(unfinished: UnfinishedExport, run: EndedRun): string {
  const tracked = unfinished.tracking?.job;
  if (tracked && 'datasetExportJobArn' in tracked) return tracked.datasetExportJobArn;
  const task = unfinished.task;
  const jobName = task?.type === 'personalize' ? task.jobName : personalizeJobName(run, unfinished.item.name);
  if (task?.type === 'personalize') return datasetExportJobArn(task.datasetArn, jobName);
  const arn = parseArn(run.executionArn);
  return `arn:${arn?.partition}:personalize:${arn?.region}:${arn?.accountId}:dataset-export-job/${jobName}`;
}

async function personalizeJob(arn: string): Promise<JobOutcome> {
  try {
    const { datasetExportJob: job } = await personalize.send(
      new DescribeDatasetExportJobCommand({ datasetExportJobArn: arn }),
    );
    const status = job?.status ?? 'UNKNOWN';
    return {
      jobState: PERSONALIZE_RUNNING.has(status) ? 'STILL_RUNNING' : 'ENDED',
      serviceStatus: status,
      datasetExportJobArn: arn,
    };
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return { jobState: 'NOT_STARTED' };
    return {
      jobState: 'STILL_RUNNING',
      datasetExportJobArn: arn,
      problem: permanent(err, 'Personalize DescribeDatasetExportJob', arn),
    };
  }
}

/** Finds the export's job and stops it where there is a call for it. */
export async function settleJob(unfinished: UnfinishedExport, run: EndedRun): Promise<JobOutcome> {
  if (unfinished.item.type === 'personalize') return personalizeJob(personalizeJobArn(unfinished, run));
  const task = taskOf(unfinished, run);
  if (task?.type !== 'glue') {
    return {
      jobState: 'NOT_STARTED',
      problem: `export "${unfinished.item.name}" is not in this deployment's configuration any more, so its start task starts nothing`,
    };
  }
  const tracked = unfinished.tracking?.job;
  return glueJob(task, tracked && 'taskRunId' in tracked ? tracked.taskRunId : undefined, run);
}

const WHY: Record<EndedRunStatus, { type: string; text: string }> = {
  ABORTED: { type: 'RunStopped', text: 'the run was stopped (StopExecution)' },
  TIMED_OUT: { type: 'RunTimedOut', text: "the run reached the state machine's timeout" },
  FAILED: { type: 'RunFailed', text: 'the run failed in one of its own steps' },
};

function jobText(job: JobOutcome, type: ExportItem['type']): string {
  const id = job.taskRunId
    ? `task run ${job.taskRunId}`
    : job.datasetExportJobArn
      ? `job ${job.datasetExportJobArn}`
      : 'its job';
  switch (job.jobState) {
    case 'NOT_STARTED':
      return 'no job had been started';
    case 'CANCELLED':
      return `${id} was cancelled (CancelMLTaskRun)`;
    case 'ENDED':
      return `${id} had already ended ${job.serviceStatus}`;
    default:
      return type === 'personalize'
        ? `${id} is still running: Personalize has no call to stop a dataset export job, so it may still complete`
        : `${id} could not be cancelled and may still be running`;
  }
}

/** The ML Export Stopped event of one unfinished export. */
export function stoppedDetail(
  unfinished: UnfinishedExport,
  job: JobOutcome,
  run: EndedRun,
  ended: { readonly status: EndedRunStatus; readonly at: string },
): StoppedExportEventDetail {
  const task = taskOf(unfinished, run);
  const { tracking, item } = unfinished;
  const why = WHY[ended.status];
  const where = unfinished.lastState
    ? `while the export was at "${unfinished.lastState}"`
    : 'before the export started';
  const identifiers =
    task?.type === 'glue'
      ? { transformId: task.transformId, ...(job.taskRunId ? { taskRunId: job.taskRunId } : {}) }
      : task?.type === 'personalize'
        ? {
            datasetArn: task.datasetArn,
            jobName: task.jobName,
            ingestionMode: task.ingestionMode,
            ...(job.datasetExportJobArn ? { datasetExportJobArn: job.datasetExportJobArn } : {}),
          }
        : job.datasetExportJobArn
          ? { datasetExportJobArn: job.datasetExportJobArn }
          : {};
  const startedAt = tracking?.jobStartedAt ?? tracking?.trackingStartedAt;
  return {
    exportName: item.name,
    exportType: item.type,
    outcome: 'STOPPED',
    ...(task ? { outputS3Path: task.outputS3Path } : {}),
    ...identifiers,
    ...(job.serviceStatus ? { serviceStatus: job.serviceStatus } : {}),
    ...(startedAt ? { startedAt } : {}),
    pollCount: tracking?.polls ?? 0,
    adoptedExistingJob: tracking?.adopted ?? false,
    jobCancelled: job.jobState === 'CANCELLED',
    jobState: job.jobState,
    error: {
      type: why.type,
      message: `${why.text} at ${ended.at} ${where}; ${jobText(job, item.type)}${job.problem ? ` (${job.problem})` : ''}`,
    },
    executionName: run.executionName,
    executionArn: run.executionArn,
  };
}
