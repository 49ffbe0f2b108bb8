/**
 * Stops a label export task run that outlived its export's time limit (CancelMLTaskRun), so it stops
 * using DPU hours. Never throws: a failed cancel is recorded, and the export still ends TIMED_OUT with
 * its one terminal event.
 * @see https://docs.aws.amazon.com/glue/latest/webapi/API_CancelMLTaskRun.html
 */
import { CancelMLTaskRunCommand, type GlueClient } from '@aws-sdk/client-glue';
import { classifyAwsError } from '../shared/aws-errors';
import { logger } from '../shared/logger';
import type { Tracking } from '../shared/types';

export type CancelRecord = Required<Pick<Tracking, 'jobCancelled'>> & Pick<Tracking, 'cancelError'>;

export async function cancelTimedOutTaskRun(
  glue: GlueClient,
  transformId: string,
  taskRunId: string,
  exportName: string,
): Promise<CancelRecord> {
  try {
    const response = await glue.send(
      new CancelMLTaskRunCommand({ TransformId: transformId, TaskRunId: taskRunId }),
    );
    logger.info('Cancelled the label export task run that outlived its time limit', {
      exportName,
      transformId,
      taskRunId,
      status: response.Status,
    });
    return { jobCancelled: true };
  } catch (err) {
    // The SDK has already retried throttling and 5xx; the export's outcome does not wait on a cancel.
    const cancelError = classifyAwsError(
      err,
      'Glue CancelMLTaskRun',
      `transform ${transformId} task run ${taskRunId}`,
    ).message;
    logger.error('Could not cancel the label export task run that outlived its time limit', {
      exportName,
      transformId,
      taskRunId,
      error: cancelError,
    });
    return { jobCancelled: false, cancelError };
  }
}
