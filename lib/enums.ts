/**
 * The closed sets of the construct's API, as enums (each value as the services and the events spell it).
 * test/lib/api.test.ts keeps them equal to the contract's lists (contract/names.ts).
 */

/**
 * Which records of a Personalize dataset an export holds.
 * @see https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html
 */
export enum IngestionMode {
  /** Records imported in bulk (dataset import jobs). */
  BULK = 'BULK',
  /** Records added one by one (PutEvents, PutItems, PutUsers). */
  PUT = 'PUT',
  /** Both. */
  ALL = 'ALL',
}

/** How the workflow times the status checks of an export's job. */
export enum PollingStrategy {
  /**
   * Before the first wait, look up the export's recent successful runs and time the checks from them (sleep
   * until shortly before the expected end, check densely around it, then the backoff); with too little or
   * too noisy history, as BACKOFF.
   */
  HISTORY = 'history',
  /** The capped exponential backoff only. */
  BACKOFF = 'backoff',
}

/** The events the workflow sends, by their `detail-type`. */
export enum ExportEventType {
  /** An export wrote its files. */
  EXPORT_SUCCEEDED = 'ML Export Succeeded',
  /** An export's job failed, or it could not start. */
  EXPORT_FAILED = 'ML Export Failed',
  /** An export's job outlived its time limit. */
  EXPORT_TIMED_OUT = 'ML Export Timed Out',
  /** An export's run ended (stopped, timed out, failed in a step of its own) before the export did. */
  EXPORT_STOPPED = 'ML Export Stopped',
  /** A run ended with every export accounted for (status SUCCEEDED or FAILED). */
  RUN_COMPLETED = 'ML Export Run Completed',
  /** A run's input was refused before any export started. */
  RUN_REJECTED = 'ML Export Run Rejected',
  /** A run yielded to an earlier run exporting the same data. */
  RUN_SKIPPED = 'ML Export Run Skipped',
  /** A run ended without its own run event; sent by the clean-up of the ended run. */
  RUN_STOPPED = 'ML Export Run Stopped',
}
