/**
 * Turns AWS SDK errors into the workflow's named errors, following the classification in API-FACTS.md:
 * transient errors are retried by the state machine, permanent ones fail the export with the service's
 * message. Anything unknown is permanent unless the SDK marks it as a server fault or retryable.
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
  const name = awsErrorName(err);
  const text = (err as SdkErrorShape | undefined)?.message ?? String(err);
  const message = `${call} for ${resource} failed: ${name}: ${text}`;
  return isTransientAwsError(err)
    ? new TransientServiceError(message, { cause: err })
    : new PermanentServiceError(message, { cause: err });
}
