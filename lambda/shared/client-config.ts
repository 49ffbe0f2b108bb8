/**
 * Settings every AWS SDK client of the handlers shares. Each request gets its own time limit, well inside
 * the function's 30-second timeout: a hung connection fails as a network error (retried by the SDK, then
 * as TransientServiceError by the state machine) instead of running the function out of time. Three
 * attempts of at most 2 + 6 s, with the SDK's short backoff between them, stay under 30 s. Without
 * `throwOnRequestTimeout` the HTTP handler only logs a warning when a request runs over.
 * https://docs.aws.amazon.com/sdk-for-javascript/v3/developer-guide/node-configuring-maxsockets.html
 */
export const CLIENT_CONFIG = {
  requestHandler: { connectionTimeout: 2_000, requestTimeout: 6_000, throwOnRequestTimeout: true },
};
