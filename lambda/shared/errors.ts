/**
 * Named errors: a thrown error's `name` is the errorType Step Functions matches in Retry and Catch, so
 * each class names what the workflow should do about it.
 */
import { ERROR_NAMES } from '../../contract/names';

/** The service was busy or briefly unavailable: the state machine retries with backoff and jitter. */
export class TransientServiceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = ERROR_NAMES.transientService;
  }
}

/** The service refused the request for a reason a retry cannot fix (not found, invalid, denied). */
export class PermanentServiceError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = ERROR_NAMES.permanentService;
  }
}

/** A job with this export's name exists but was started for another dataset or output path. */
export class ExportConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.exportConflict;
  }
}

/** The execution input (what an operator pasted in the console) is not valid. */
export class InvalidExecutionInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.invalidExecutionInput;
  }
}

/** A task received state it cannot work with: a wiring bug between the state machine and the handler. */
export class InvalidTaskStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.invalidTaskState;
  }
}

/** An earlier run still exporting the same data: this run starts nothing. */
export class RunSkippedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.runSkipped;
  }
}

/** An export that a run's list names but the configuration no longer has (a deployment changed it mid-run). */
export class ExportNotConfiguredError extends Error {
  constructor(message: string) {
    super(message);
    this.name = ERROR_NAMES.exportNotConfigured;
  }
}
