/**
 * What the local run tells about how a run went: the names it gives, its failures and stops as Step
 * Functions words them (the handlers' environment is local/lambda-runtime.ts's).
 */
import { randomBytes } from 'node:crypto';
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
