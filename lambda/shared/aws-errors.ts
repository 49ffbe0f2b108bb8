/**
 * Turns AWS SDK errors into the workflow's named errors: transient errors (throttling, 5xx, timeouts,
 * network) are retried by the state machine, permanent ones (not found, invalid, denied) fail the export
 * with the service's message. Anything unknown is permanent unless the SDK marks it as a server fault or
 * retryable. See the error lists of each call in the API references:
 * https://docs.aws.amazon.com/glue/latest/webapi/API_StartExportLabelsTaskRun.html#API_StartExportLabelsTaskRun_Errors
 * https://docs.aws.amazon.com/personalize/latest/dg/API_CreateDatasetExportJob.html#API_CreateDatasetExportJob_Errors
 */
import { PermanentServiceError, TransientServiceError } from './errors';

/** Error names the SDK and services use for throttling, overload and timeouts. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'ResourceInUseException',
  'InternalServiceException',
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'OperationTimeoutException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/**
 * Refusals of a start call that mean "the account's quota of concurrent jobs is full": they clear only when
 * an earlier job ends, so the export waits for capacity rather than retrying soon or failing. Personalize
 * answers LimitExceededException ("More than N resources with PENDING or IN_PROGRESS status"); Glue names
 * the limit it hit.
 * https://docs.aws.amazon.com/personalize/latest/dg/limits.html
 * https://docs.aws.amazon.com/general/latest/gr/glue.html
 */
const CAPACITY_NAMES = new Set([
  'LimitExceededException',
  'ConcurrentRunsExceededException',
  'ResourceNumberLimitExceededException',
]);

/** Whether a start call was refused because a concurrency quota is full (see CAPACITY_NAMES). */
export function isCapacityRefusal(err: unknown): boolean {
  return CAPACITY_NAMES.has(awsErrorName(err));
}

/** `<error name>: <message>`, as an export's record of a refusal. */
export function describeAwsError(err: unknown): string {
  return `${awsErrorName(err)}: ${(err as SdkErrorShape | undefined)?.message ?? String(err)}`;
}

/** The service's error code (`EntityNotFoundException`), or the Node.js error code for network errors. */
export function awsErrorName(err: unknown): string {
  const e = (err ?? {}) as SdkErrorShape;
  return e.code && /^E[A-Z]+$/.test(e.code) ? e.code : (e.name ?? 'UnknownError');
}

export function isTransientAwsError(err: unknown): boolean {
  const e = (err ?? {}) as SdkErrorShape;
  const status = e.$metadata?.httpStatusCode;
  return (
    TRANSIENT_NAMES.has(awsErrorName(err)) ||
    e.$fault === 'server' ||
    Boolean(e.$retryable) ||
    (status !== undefined && (status >= 500 || status === 429))
  );
}

/**
 * Wraps an SDK error as a TransientServiceError or PermanentServiceError whose message says which call
 * failed, for which resource, with the service's own error name and text.
 */
export function classifyAwsError(err: unknown, call: string, resource: string): Error {
  const message = `${call} for ${resource} failed: ${describeAwsError(err)}`;
  return isTransientAwsError(err)
    ? new TransientServiceError(message, { cause: err })
    : new PermanentServiceError(message, { cause: err });
}
