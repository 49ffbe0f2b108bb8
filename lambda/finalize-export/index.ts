/**
 * Ends one export: turns its final state (an outcome from the status task, or an error caught from any
 * task) into exactly one terminal event for the state machine's putEvents state, and the small result the
 * run summary counts. Makes no AWS call.
 */
import type { ExportEventDetail } from '../../contract/events';
import { EXPORT_DETAIL_TYPES } from '../../contract/names';
import { describeCaughtError, type ErrorDetail } from '../shared/caught-error';
import { logger, withLambdaContext } from '../shared/logger';
import { isResolved, resolveExport } from '../shared/catalog';
import type {
  EventEnvelope,
  ExportItem,
  ExportOutcome,
  ExportResult,
  ExportTask,
  ItemState,
  Tracking,
} from '../shared/types';

export { EXPORT_DETAIL_TYPES };
export type { ExportEventDetail };

export interface FinalizedExport {
  readonly result: ExportResult;
  readonly event: EventEnvelope<ExportEventDetail>;
}

/** The export as far as it can be resolved: an export that failed at its start may still be an item. */
function resolvedOrItem(state: ItemState): ExportTask | ExportItem {
  try {
    return resolveExport(state.export, state.run);
  } catch {
    return state.export; // the caught error already says why
  }
}

function outcomeAndError(state: ItemState): { outcome: ExportOutcome; error?: ErrorDetail } {
  const { tracking, error, capacity } = state;
  if (error) return { outcome: 'FAILED', error: describeCaughtError(error) };
  if (!tracking && capacity?.outcome === 'TIMED_OUT') {
    return {
      outcome: 'TIMED_OUT',
      error: {
        type: 'ExportTimedOut',
        message: `the export never started: it was waiting for capacity (a concurrency quota of the account was full) from ${capacity.since} until its time limit ${capacity.deadline}, ${capacity.attempts} start attempts; last refusal: ${capacity.lastRefusal}`,
      },
    };
  }
  switch (tracking?.outcome) {
    case 'SUCCEEDED':
      return { outcome: 'SUCCEEDED' };
    case 'FAILED':
      return {
        outcome: 'FAILED',
        error: {
          type: 'ExportJobFailed',
          message: tracking.serviceError ?? `the job ended with status ${tracking.serviceStatus}`,
        },
      };
    case 'TIMED_OUT':
      return {
        outcome: 'TIMED_OUT',
        error: {
          type: 'ExportTimedOut',
          message: `the job was still ${tracking.serviceStatus} at ${tracking.deadline}, ${state.run.polling.maxExportSeconds} s after the export started (${tracking.polls} status checks); the workflow stopped waiting${whatBecameOfTheJob(tracking)}`,
        },
      };
    default:
      return {
        outcome: 'FAILED',
        error: {
          type: 'InvalidTaskState',
          message: `the export ended without an outcome (tracking: ${JSON.stringify(tracking)})`,
        },
      };
  }
}

/** What the workflow did about a job still running at its time limit, for the time-out message. */
function whatBecameOfTheJob(tracking: Tracking): string {
  if (!('taskRunId' in tracking.job)) {
    return ' and could not stop the job: Personalize has no API to stop a dataset export job, so it may still complete';
  }
  return tracking.jobCancelled
    ? ` and cancelled task run ${tracking.job.taskRunId} (CancelMLTaskRun)`
    : ` but cancelling task run ${tracking.job.taskRunId} failed, so it may still be running: ${tracking.cancelError ?? 'no cancel was attempted'}`;
}

export function finalizeExport(state: ItemState): FinalizedExport {
  const task = resolvedOrItem(state);
  const tracking = state.tracking;
  const { outcome, error } = outcomeAndError(state);
  const startedAt = tracking?.jobStartedAt ?? tracking?.trackingStartedAt;
  // Only the service can say a job completed: a job that timed out or was never checked has no end time.
  const completedAt = tracking?.jobCompletedAt;
  const identifiers = !isResolved(task)
    ? {}
    : task.type === 'glue'
      ? {
          transformId: task.transformId,
          ...(tracking && 'taskRunId' in tracking.job ? { taskRunId: tracking.job.taskRunId } : {}),
        }
      : {
          datasetArn: task.datasetArn,
          jobName: task.jobName,
          ingestionMode: task.ingestionMode,
          ...(tracking && 'datasetExportJobArn' in tracking.job
            ? { datasetExportJobArn: tracking.job.datasetExportJobArn }
            : {}),
        };
  const detail: ExportEventDetail = {
    exportName: task.name,
    exportType: task.type,
    outcome,
    ...(isResolved(task) ? { outputS3Path: task.outputS3Path } : {}),
    ...identifiers,
    ...(tracking?.serviceStatus ? { serviceStatus: tracking.serviceStatus } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(completedAt ? { completedAt } : {}),
    ...(startedAt && completedAt
      ? {
          durationSeconds: Math.max(0, Math.round((Date.parse(completedAt) - Date.parse(startedAt)) / 1000)),
        }
      : {}),
    pollCount: tracking?.polls ?? 0,
    ...(state.capacity
      ? {
          waitedForCapacitySeconds: Math.max(
            0,
            Math.round(
              (Date.parse(tracking?.trackingStartedAt ?? state.capacity.deadline) -
                Date.parse(state.capacity.since)) /
                1000,
            ),
          ),
        }
      : {}),
    adoptedExistingJob: tracking?.adopted ?? false,
    ...(outcome === 'TIMED_OUT' ? { jobCancelled: tracking?.jobCancelled ?? false } : {}),
    ...(error ? { error } : {}),
    executionName: state.run.executionName,
    executionArn: state.run.executionArn,
  };
  return {
    result: { name: task.name, type: task.type, outcome },
    event: { detailType: EXPORT_DETAIL_TYPES[outcome], detail },
  };
}

export const handler = withLambdaContext(async (state: ItemState): Promise<FinalizedExport> => {
  const finalized = finalizeExport(state);
  const log = finalized.result.outcome === 'SUCCEEDED' ? logger.info.bind(logger) : logger.error.bind(logger);
  log('Export ended', { ...finalized.event.detail });
  return finalized;
});
