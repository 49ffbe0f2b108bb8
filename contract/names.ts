/**
 * Names shared by the workflow definition (lib), the handlers (lambda) and the local run: detail-types of
 * the events, error names matched by Retry and Catch, and the enumerations of the export shape. Plain
 * constants, no zod, so that a handler importing them bundles nothing more.
 */

export const EXPORT_TYPES = ['glue', 'personalize'] as const;
export type ExportType = (typeof EXPORT_TYPES)[number];

export const INGESTION_MODES = ['BULK', 'PUT', 'ALL'] as const;
export type IngestionMode = (typeof INGESTION_MODES)[number];

export const POLLING_STRATEGIES = ['history', 'backoff'] as const;
export type PollingStrategy = (typeof POLLING_STRATEGIES)[number];

/**
 * How an export ends. STOPPED: its run ended before the export did (StopExecution, the run's own time-out, or
 * a failure in one of the run's own steps), and the clean-up of the ended run reported it.
 */
export const EXPORT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'STOPPED'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];

/** Detail-type of each export outcome's event. */
export const EXPORT_DETAIL_TYPES = {
  SUCCEEDED: 'ML Export Succeeded',
  FAILED: 'ML Export Failed',
  TIMED_OUT: 'ML Export Timed Out',
  STOPPED: 'ML Export Stopped',
} as const satisfies Record<ExportOutcome, string>;

/**
 * What became of a stopped export's job: none was started; the clean-up cancelled it (Glue CancelMLTaskRun);
 * it is still running (Personalize has no call to stop a dataset export job, or the cancel failed); or it had
 * already ended on its own (`serviceStatus` says how).
 */
export const STOPPED_JOB_STATES = ['NOT_STARTED', 'CANCELLED', 'STILL_RUNNING', 'ENDED'] as const;
export type StoppedJobState = (typeof STOPPED_JOB_STATES)[number];

/** Execution statuses after which the run has not sent its own run event (unless it failed in Run Failed). */
export const ENDED_RUN_STATUSES = ['ABORTED', 'TIMED_OUT', 'FAILED'] as const;
export type EndedRunStatus = (typeof ENDED_RUN_STATUSES)[number];

/** Detail-type of each run event. */
export const RUN_DETAIL_TYPES = {
  completed: 'ML Export Run Completed',
  rejected: 'ML Export Run Rejected',
  skipped: 'ML Export Run Skipped',
  /** Sent by the clean-up when a run ended without its own run event (stopped, timed out, failed in a step). */
  stopped: 'ML Export Run Stopped',
} as const;

/**
 * Names of the states other code refers to: the clean-up of an ended run reads where the run and each export
 * stood from the execution histories by these names.
 */
export const STATE_NAMES = {
  prepareRun: 'Prepare Run',
  exportEach: 'Export Each',
  startGlue: 'Start Glue Export',
  startPersonalize: 'Start Personalize Export',
  emitExportEvent: 'Emit Export Event',
  summarizeRun: 'Summarize Run',
  emitRunEvent: 'Emit Run Event',
  runFailed: 'Run Failed',
} as const;

export type DetailType =
  | (typeof EXPORT_DETAIL_TYPES)[keyof typeof EXPORT_DETAIL_TYPES]
  | (typeof RUN_DETAIL_TYPES)[keyof typeof RUN_DETAIL_TYPES];

/**
 * The `name` of each error the handlers throw: Step Functions matches it in Retry and Catch `ErrorEquals`.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
 */
export const ERROR_NAMES = {
  transientService: 'TransientServiceError',
  permanentService: 'PermanentServiceError',
  exportConflict: 'ExportConflict',
  invalidExecutionInput: 'InvalidExecutionInput',
  invalidTaskState: 'InvalidTaskState',
  runSkipped: 'RunSkipped',
  exportNotConfigured: 'ExportNotConfigured',
  transformAtCapacity: 'TransformAtCapacity',
} as const;

/** Export names become part of job names and event details. */
export const EXPORT_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/;

/** Every job this app creates starts with this, which lets IAM scope the start task to its own jobs. */
export const JOB_NAME_PREFIX = 'mlx-';

/**
 * The start of every Personalize job name of one export: `mlx-<length of the name>-<name>-`. The length makes
 * it unambiguous: no other export's jobs can start with it (without it, `mlx-interactions-` would also be the
 * start of export `interactions-bulk`'s jobs), so an export's history is its own.
 */
export function exportJobNamePrefix(exportName: string): string {
  return `${JOB_NAME_PREFIX}${exportName.length}-${exportName}-`;
}

/**
 * Glue's quota of concurrent ML task runs per transform ("Max concurrent ML task runs per transform", 3,
 * https://docs.aws.amazon.com/general/latest/gr/glue.html): a start waits for capacity while the transform
 * already has this many task runs starting or running.
 */
export const GLUE_TASK_RUNS_PER_TRANSFORM = 3;
