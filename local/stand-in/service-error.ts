/** Modeled errors, as the services answer them, and the input validation that raises them. */

/** An error the service answers with: its `__type` (or S3 `Code`), message and HTTP status. */
export class ServiceError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** The string field `field` of a request, or the service's validation error for it. */
export function requireString(
  input: Record<string, unknown>,
  field: string,
  min: number,
  max: number,
  errorType: string,
  pattern?: RegExp,
): string {
  const value = input[field];
  if (
    typeof value !== 'string' ||
    value.length < min ||
    value.length > max ||
    (pattern && !pattern.test(value))
  ) {
    throw new ServiceError(
      errorType,
      `1 validation error detected: Value ${JSON.stringify(value)} at '${field}' failed to satisfy constraint: ` +
        `length ${min}-${max}${pattern ? ` and pattern ${pattern.source}` : ''}`,
    );
  }
  return value;
}
