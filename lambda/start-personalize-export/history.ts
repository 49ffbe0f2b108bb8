/**
 * The export's recent jobs, for history-aware polling: one page of the dataset's export jobs
 * (ListDatasetExportJobs), of which the ACTIVE ones this app made for this export (job names
 * `mlx-<length of the export's name>-<export>-...`, which no other export's start with), newest first,
 * summarized into a few numbers. A renamed export has no such jobs yet: it starts without history. The page also lists the job just
 * created, which is not ACTIVE yet. A failed look-up never fails the export: it logs a warning and the
 * export is polled with the backoff.
 * @see https://docs.aws.amazon.com/personalize/latest/dg/API_ListDatasetExportJobs.html
 */
import {
  ListDatasetExportJobsCommand,
  PersonalizeClient,
  type DatasetExportJobSummary,
} from '@aws-sdk/client-personalize';
import { describeAwsError } from '../shared/aws-errors';
import { logger } from '../shared/logger';
import { exportJobNamePrefix } from '../shared/naming';
import { HISTORY_SIZE, summarizeDurations } from '../shared/schedule';
import type { PersonalizeTask } from '../shared/task-state';
import type { HistorySummary, PollingSettings } from '../shared/types';

// A look-up that fails twice is not worth delaying the export for.
const personalize = new PersonalizeClient({ maxAttempts: 2 });
/** One page, the largest: a dataset may be exported by several exports of this app. */
const PAGE_SIZE = 100;

/** Seconds from the job's creation to its last update (its end, for an ACTIVE job). */
export function jobSeconds(job: DatasetExportJobSummary): number | undefined {
  if (!job.creationDateTime || !job.lastUpdatedDateTime) return undefined;
  return (job.lastUpdatedDateTime.getTime() - job.creationDateTime.getTime()) / 1000;
}

export async function lookUpPersonalizeHistory(
  task: PersonalizeTask,
  polling: PollingSettings,
): Promise<HistorySummary | undefined> {
  if (polling.strategy === 'backoff') return undefined;
  try {
    const response = await personalize.send(
      new ListDatasetExportJobsCommand({ datasetArn: task.datasetArn, maxResults: PAGE_SIZE }),
    );
    const ownPrefix = exportJobNamePrefix(task.name);
    const durations = (response?.datasetExportJobs ?? [])
      .filter((job) => job.status === 'ACTIVE' && job.jobName !== task.jobName)
      .filter((job) => job.jobName?.startsWith(ownPrefix))
      .sort((a, b) => (b.creationDateTime?.getTime() ?? 0) - (a.creationDateTime?.getTime() ?? 0))
      .slice(0, HISTORY_SIZE)
      .map(jobSeconds)
      .filter((seconds): seconds is number => seconds !== undefined);
    return summarizeDurations(durations);
  } catch (err) {
    logger.warn('Could not look up the export history; polling with the backoff', {
      exportName: task.name,
      datasetArn: task.datasetArn,
      error: describeAwsError(err),
    });
    return undefined;
  }
}
