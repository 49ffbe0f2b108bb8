/** Reads a Step Functions Catch result ({Error, Cause}) into the error a person should read. */
import type { CaughtError } from './types';

export interface ErrorDetail {
  readonly type: string;
  readonly message: string;
}

/** Lambda errors arrive with Cause = '{"errorType":..,"errorMessage":..,"trace":[..]}'; others as plain text. */
export function describeCaughtError(error: CaughtError): ErrorDetail {
  const cause = error.Cause ?? '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed?.errorMessage === 'string') return { type: error.Error, message: parsed.errorMessage };
  } catch {
    // Not JSON: States.Timeout and the like carry their text as is.
  }
  return { type: error.Error, message: cause || error.Error };
}
