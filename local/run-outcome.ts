/**
 * What the local run tells about how a run went: the names it gives, its failures and stops as Step
 * Functions words them, and the environment the handlers run in.
 */
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import type { LocalRunOptions } from './run-types';

export function describeFailure(err: unknown): { error: string; cause: string } {
  const cause = (err as { cause?: StatesError & Error }).cause;
  const e = (cause ?? err) as StatesError & Error;
  return { error: e.name ?? e.Error ?? 'Error', cause: e.message ?? e.Cause ?? String(e) };
}

interface StatesError {
  Error?: string;
  Cause?: string;
}

/**
 * `local-<start time>-<random>`: unique however many runs start in the same second, as the console's
 * generated names are.
 */
export function defaultExecutionName(startMs: number): string {
  const stamp = new Date(startMs).toISOString().replace(/[-:]/g, '').slice(0, 15);
  return `local-${stamp}-${randomBytes(3).toString('hex')}`;
}

/** The handlers' environment: their real SDK clients pointed at the stand-in, nothing of this machine's. */
export function handlerEnvironment(
  endpoint: string,
  runDir: string,
  region: string,
  handlerLogLevel = 'SILENT',
): Record<string, string> {
  return {
    AWS_REGION: region,
    AWS_DEFAULT_REGION: region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_ENDPOINT_URL_GLUE: endpoint,
    AWS_ENDPOINT_URL_PERSONALIZE: endpoint,
    AWS_ENDPOINT_URL_SFN: endpoint,
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
    // No shared config files: nothing on this machine may change how the handlers behave.
    AWS_CONFIG_FILE: path.join(runDir, '.no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(runDir, '.no-aws-credentials'),
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    POWERTOOLS_LOG_LEVEL: handlerLogLevel,
    POWERTOOLS_DEV: 'true',
    // The local Node.js may be older than Lambda's; the SDK's notice about it is not the run's business.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

export function stoppedStatusText(stop: NonNullable<LocalRunOptions['stop']>): string {
  return stop.status === 'ABORTED'
    ? `StopExecution at +${stop.afterSeconds} s`
    : `the state machine's timeout, taken as ${stop.afterSeconds} s`;
}

export function stoppedError(stop: NonNullable<LocalRunOptions['stop']>, state: string) {
  return {
    error: stop.status === 'ABORTED' ? 'ExecutionAborted' : 'ExecutionTimedOut',
    cause: `${stoppedStatusText(stop)}, in state "${state}"`,
  };
}

/** Why `--redrive` ran nothing more. */
export function whyNoRedrive(ok: boolean, failedState: string | undefined): string {
  if (ok) return 'the execution SUCCEEDED: there is nothing to redrive';
  return failedState === 'Run Failed'
    ? 'the execution FAILED after every export event was sent (Run Failed): a redrive has nothing to ' +
        'resume; start a new execution to export those again'
    : 'the execution failed before any state of the run could be resumed';
}

/** How the execution ended: SUCCEEDED, FAILED, or (stopped and not redriven) ABORTED or TIMED_OUT. */
export function finalStatus(
  outcome: { ok: true } | { ok: false; err: unknown },
  stoppedIn: string | undefined,
  stop: LocalRunOptions['stop'],
): { status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT'; error?: { error: string; cause: string } } {
  if (outcome.ok) return { status: 'SUCCEEDED' };
  if (stoppedIn !== undefined && stop) return { status: stop.status, error: stoppedError(stop, stoppedIn) };
  return { status: 'FAILED', error: describeFailure(outcome.err) };
}
