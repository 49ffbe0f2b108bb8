/**
 * Starts a Personalize dataset export (CreateDatasetExportJob) under a job name derived from the execution
 * and export names. It describes that job first and adopts it when it exists for the same dataset and
 * output path, so a retried or redriven start never creates a second job; a job of that name for anything
 * else is a conflict, never silently reused (a job cannot be stopped, so a redriven export adopts its job
 * whatever became of the run). Before a new job it applies the overlap rule, so a redriven run yields to a
 * newer run exporting the same dataset. Then it looks up the export's recent jobs (./history.ts), from
 * which the checks are timed.
 */
import {
  CreateDatasetExportJobCommand,
  DescribeDatasetExportJobCommand,
  PersonalizeClient,
  type DatasetExportJob,
} from '@aws-sdk/client-personalize';
import { CLIENT_CONFIG } from '../shared/client-config';
import { awsErrorName, classifyAwsError, isCapacityRefusal } from '../shared/aws-errors';
import { waitForCapacity } from '../shared/capacity';
import { ExportConflictError } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import { datasetExportJobArn } from '../shared/naming';
import { startTracking } from '../shared/polling';
import { withHistory } from '../shared/schedule';
import { yieldToEarlierRun } from '../shared/run-overlap';
import { requireExport, type PersonalizeTask } from '../shared/task-state';
import { resolveState } from '../shared/catalog';
import type { ExportState, ItemState, PersonalizeJobRef } from '../shared/types';
import { lookUpPersonalizeHistory } from './history';

const personalize = new PersonalizeClient(CLIENT_CONFIG);

/** The tracking of a job just created or adopted, with the export's history when it has one. */
async function track(
  state: ExportState,
  task: PersonalizeTask,
  job: PersonalizeJobRef,
  adopted: boolean,
  jobStartedMs: number,
): Promise<ExportState> {
  const history = await lookUpPersonalizeHistory(task, state.run.polling);
  const now = Date.now();
  const tracking = startTracking(job, adopted, now, state.run.polling, state.capacity);
  return { ...state, tracking: withHistory(tracking, history, now, state.run.polling, jobStartedMs) };
}

/** The job of this name, or undefined when Personalize has none (ResourceNotFoundException). */
async function describeJob(arn: string): Promise<DatasetExportJob | undefined> {
  try {
    const response = await personalize.send(
      new DescribeDatasetExportJobCommand({ datasetExportJobArn: arn }),
    );
    return response.datasetExportJob;
  } catch (err) {
    if (awsErrorName(err) === 'ResourceNotFoundException') return undefined;
    throw classifyAwsError(err, 'Personalize DescribeDatasetExportJob', arn);
  }
}

/** Throws ExportConflict unless the existing job exports the same dataset to the same path. */
export function checkSameExport(job: DatasetExportJob, task: PersonalizeTask): void {
  const path = job.jobOutput?.s3DataDestination?.path;
  if (job.datasetArn !== task.datasetArn || path !== task.outputS3Path) {
    throw new ExportConflictError(
      `Personalize job ${task.jobName} already exists for dataset ${job.datasetArn} and path ${path}; ` +
        `expected dataset ${task.datasetArn} and path ${task.outputS3Path}`,
    );
  }
}

export const handler = withLambdaContext(async (item: ItemState): Promise<ExportState> => {
  // The run's list names configured exports: this is where each becomes this run's task.
  const state = resolveState(item);
  const task = requireExport(state, 'personalize');
  const arn = datasetExportJobArn(task.datasetArn, task.jobName);
  // Per message, not appendKeys: a warm function must not carry one export's keys into the next.
  const keys = { exportName: task.name, jobName: task.jobName };

  let existing = await describeJob(arn);
  if (!existing) {
    await yieldToEarlierRun(state.run, [task], `export ${task.name} created no job`);
    try {
      const created = await personalize.send(
        new CreateDatasetExportJobCommand({
          jobName: task.jobName,
          datasetArn: task.datasetArn,
          roleArn: task.roleArn,
          ingestionMode: task.ingestionMode,
          jobOutput: { s3DataDestination: { path: task.outputS3Path, kmsKeyArn: task.kmsKeyArn } },
        }),
      );
      logger.info('Created dataset export job', {
        ...keys,
        datasetExportJobArn: created.datasetExportJobArn,
        outputS3Path: task.outputS3Path,
      });
      return await track(
        state,
        task,
        { datasetExportJobArn: created.datasetExportJobArn ?? arn, jobName: task.jobName },
        false,
        Date.now(),
      );
    } catch (err) {
      if (isCapacityRefusal(err)) return waitForCapacity(state, err, keys);
      if (awsErrorName(err) !== 'ResourceAlreadyExistsException') {
        throw classifyAwsError(err, 'Personalize CreateDatasetExportJob', `dataset ${task.datasetArn}`);
      }
      // Created by an earlier attempt whose response was lost: adopt it if it is ours.
      existing = await describeJob(arn);
      if (!existing)
        throw classifyAwsError(err, 'Personalize CreateDatasetExportJob', `dataset ${task.datasetArn}`);
    }
  }
  checkSameExport(existing, task);
  logger.info('Adopting the dataset export job started earlier for this export', {
    ...keys,
    datasetExportJobArn: arn,
    status: existing.status,
  });
  return track(
    state,
    task,
    { datasetExportJobArn: arn, jobName: task.jobName },
    true,
    existing.creationDateTime?.getTime() ?? Date.now(),
  );
});
