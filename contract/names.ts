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

export const EXPORT_OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT'] as const;
export type ExportOutcome = (typeof EXPORT_OUTCOMES)[number];

/** Detail-type of each export outcome's event. */
export const EXPORT_DETAIL_TYPES = {
  SUCCEEDED: 'ML Export Succeeded',
  FAILED: 'ML Export Failed',
  TIMED_OUT: 'ML Export Timed Out',
} as const satisfies Record<ExportOutcome, string>;

/** Detail-type of each run event. */
export const RUN_DETAIL_TYPES = {
  completed: 'ML Export Run Completed',
  rejected: 'ML Export Run Rejected',
  skipped: 'ML Export Run Skipped',
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
} as const;

/** Export names become part of job names and event details. */
export const EXPORT_NAME_PATTERN = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,39}$/;

/** Every job this app creates starts with this, which lets IAM scope the start task to its own jobs. */
export const JOB_NAME_PREFIX = 'mlx-';
