/** Maps a Personalize dataset export job (DescribeDatasetExportJob) to the workflow's outcome. Pure. */
import type { DatasetExportJob } from '@aws-sdk/client-personalize';
import type { StatusObservation } from '../shared/polling';

const STILL_RUNNING = new Set(['CREATE PENDING', 'CREATE IN_PROGRESS']);

export function observeDatasetExportJob(job: DatasetExportJob): StatusObservation {
  const status = job.status ?? 'UNKNOWN';
  const times = {
    ...(job.creationDateTime ? { jobStartedAt: job.creationDateTime.toISOString() } : {}),
  };
  if (STILL_RUNNING.has(status)) return { outcome: 'RUNNING', serviceStatus: status, ...times };
  const completed = job.lastUpdatedDateTime ? { jobCompletedAt: job.lastUpdatedDateTime.toISOString() } : {};
  if (status === 'ACTIVE') return { outcome: 'SUCCEEDED', serviceStatus: status, ...times, ...completed };
  // The status is a free string: anything but the known ones ends the export rather than polling forever.
  const serviceError =
    status === 'CREATE FAILED'
      ? (job.failureReason ?? 'the export job failed without a failureReason')
      : `unexpected export job status ${JSON.stringify(status)}${job.failureReason ? `: ${job.failureReason}` : ''}; treated as a failure`;
  // Only ACTIVE and CREATE FAILED are known to be final: another status says nothing of when the job ended.
  return {
    outcome: 'FAILED',
    serviceStatus: status,
    serviceError,
    ...times,
    ...(status === 'CREATE FAILED' ? completed : {}),
  };
}
