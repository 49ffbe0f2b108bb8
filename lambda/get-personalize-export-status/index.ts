/** Checks a dataset export job (DescribeDatasetExportJob) and decides the next wait, or the export's outcome. */
import { DescribeDatasetExportJobCommand, PersonalizeClient } from '@aws-sdk/client-personalize';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import { PermanentServiceError } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import { recordCheck } from '../shared/schedule';
import { requireExport, requireTracking } from '../shared/task-state';
import type { ExportState, PersonalizeJobRef } from '../shared/types';
import { observeDatasetExportJob } from './status';

const personalize = new PersonalizeClient(CLIENT_CONFIG);

export const handler = withLambdaContext(async (state: ExportState): Promise<ExportState> => {
  const task = requireExport(state, 'personalize');
  const tracking = requireTracking<PersonalizeJobRef>(state, 'datasetExportJobArn');
  const { datasetExportJobArn } = tracking.job;
  const response = await personalize
    .send(new DescribeDatasetExportJobCommand({ datasetExportJobArn }))
    .catch((err: unknown) => {
      throw classifyAwsError(err, 'Personalize DescribeDatasetExportJob', datasetExportJobArn);
    });
  if (!response.datasetExportJob) {
    throw new PermanentServiceError(
      `Personalize DescribeDatasetExportJob for ${datasetExportJobArn} returned no datasetExportJob`,
    );
  }
  const next = recordCheck(
    tracking,
    observeDatasetExportJob(response.datasetExportJob),
    Date.now(),
    state.run.polling,
  );
  logger.info('Checked dataset export job', {
    exportName: task.name,
    datasetExportJobArn,
    status: next.serviceStatus,
    outcome: next.outcome,
    polls: next.polls,
    nextWaitSeconds: next.waitSeconds,
  });
  return { ...state, tracking: next };
});
