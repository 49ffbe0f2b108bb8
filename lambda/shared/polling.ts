/**
 * Pure polling decisions: how long to wait before the next status check and when an export has run out
 * of time. Waits grow exponentially from `initialWaitSeconds` by `backoffRate` up to `maxWaitSeconds`, and
 * never run past the export's deadline, so the last check happens at the deadline itself.
 */
import type { CapacityWait, PollingSettings, Tracking, TrackingOutcome } from './types';

/** The wait before check number `pollsDone + 1`, ignoring the deadline. */
export function backoffSeconds(pollsDone: number, polling: PollingSettings): number {
  const grown = polling.initialWaitSeconds * Math.pow(polling.backoffRate, pollsDone);
  return Math.max(1, Math.min(polling.maxWaitSeconds, Math.round(grown)));
}

/**
 * The first tracking record for a job the workflow just started or adopted. After a wait for capacity the
 * export keeps the deadline that wait started with: one time limit covers waiting and running.
 */
export function startTracking(
  job: Tracking['job'],
  adopted: boolean,
  nowMs: number,
  polling: PollingSettings,
  capacity?: Pick<CapacityWait, 'deadline'>,
): Tracking {
  const deadlineMs = capacity ? Date.parse(capacity.deadline) : nowMs + polling.maxExportSeconds * 1000;
  const remainingSeconds = Math.max(0, Math.ceil((deadlineMs - nowMs) / 1000));
  return {
    job,
    adopted,
    trackingStartedAt: new Date(nowMs).toISOString(),
    deadline: new Date(deadlineMs).toISOString(),
    polls: 0,
    waitSeconds: Math.min(backoffSeconds(0, polling), remainingSeconds),
    outcome: 'RUNNING',
  };
}

/**
 * Folds a start refused for lack of capacity into the export's wait: the next attempt follows the same
 * backoff as status checks and never runs past the deadline; an attempt refused at the deadline ends the
 * wait TIMED_OUT.
 */
export function recordCapacityRefusal(
  previous: CapacityWait | undefined,
  refusal: string,
  nowMs: number,
  polling: PollingSettings,
): CapacityWait {
  const since = previous?.since ?? new Date(nowMs).toISOString();
  const deadline =
    previous?.deadline ?? new Date(Date.parse(since) + polling.maxExportSeconds * 1000).toISOString();
  const attempts = (previous?.attempts ?? 0) + 1;
  const remainingSeconds = Math.ceil((Date.parse(deadline) - nowMs) / 1000);
  const waiting = remainingSeconds > 0;
  return {
    outcome: waiting ? 'WAITING' : 'TIMED_OUT',
    since,
    deadline,
    attempts,
    waitSeconds: waiting ? Math.min(backoffSeconds(attempts - 1, polling), remainingSeconds) : 0,
    lastRefusal: refusal,
  };
}

/** What one status check found, in the service-neutral terms the workflow uses. */
export interface StatusObservation {
  /** SUCCEEDED / FAILED when the job has ended, RUNNING while it goes on. */
  readonly outcome: TrackingOutcome;
  readonly serviceStatus: string;
  readonly serviceError?: string;
  readonly jobStartedAt?: string;
  readonly jobCompletedAt?: string;
}

/**
 * Folds a status check into the tracking record: counts the poll, ends the export as TIMED_OUT when the
 * job is still running at its deadline, and otherwise sets the next wait.
 */
export function recordPoll(
  tracking: Tracking,
  observed: StatusObservation,
  nowMs: number,
  polling: PollingSettings,
): Tracking {
  const polls = tracking.polls + 1;
  const remainingSeconds = Math.ceil((Date.parse(tracking.deadline) - nowMs) / 1000);
  let outcome = observed.outcome;
  if (outcome === 'RUNNING' && remainingSeconds <= 0) outcome = 'TIMED_OUT';
  return {
    ...tracking,
    polls,
    outcome,
    waitSeconds: outcome === 'RUNNING' ? Math.min(backoffSeconds(polls, polling), remainingSeconds) : 0,
    serviceStatus: observed.serviceStatus,
    ...(observed.serviceError !== undefined ? { serviceError: observed.serviceError } : {}),
    ...(observed.jobStartedAt !== undefined ? { jobStartedAt: observed.jobStartedAt } : {}),
    ...(observed.jobCompletedAt !== undefined ? { jobCompletedAt: observed.jobCompletedAt } : {}),
    lastCheckedAt: new Date(nowMs).toISOString(),
  };
}

/**
 * The most status checks one export can make: checks while the wait is still growing, then one per
 * `maxWaitSeconds` until the deadline. Used to bound an execution's history at synth time.
 */
export function maxPolls(polling: PollingSettings): number {
  let polls = 0;
  let elapsed = 0;
  while (elapsed < polling.maxExportSeconds) {
    elapsed += Math.min(backoffSeconds(polls, polling), polling.maxExportSeconds - elapsed);
    polls += 1;
    if (backoffSeconds(polls, polling) === polling.maxWaitSeconds) {
      return polls + Math.ceil((polling.maxExportSeconds - elapsed) / polling.maxWaitSeconds);
    }
  }
  return polls;
}

/**
 * Checks made while the wait is still below `maxWaitSeconds` (all of them when it never gets there, as
 * with a backoff rate of 1).
 */
export function rampChecks(polling: PollingSettings): number {
  const most = maxPolls(polling);
  let checks = 0;
  while (checks < most && backoffSeconds(checks, polling) < polling.maxWaitSeconds) checks += 1;
  return checks;
}

/**
 * The most start attempts and status checks one export can make: a wait for capacity and the job's own
 * polling share the export's time limit, and each restarts the backoff, so beyond `maxPolls` the second
 * ramp adds at most its own checks, plus the successful start and one for rounding (a start at the
 * deadline is still followed by a check). Used to bound an execution's history at synth.
 */
export function maxChecks(polling: PollingSettings): number {
  return maxPolls(polling) + rampChecks(polling) + 2;
}

/** Allowance per export beyond its time limit (start and its retries, events), and per run. */
export const EXPORT_SLACK_SECONDS = 3600;
export const RUN_SLACK_SECONDS = 86_400;

/**
 * The longest a run of `exportCount` exports can take when `maxConcurrency` go at a time and each may
 * take up to `maxExportSeconds`: the state machine's timeout must not cut it short.
 */
export function runSecondsNeeded(
  exportCount: number,
  maxConcurrency: number,
  maxExportSeconds: number,
): number {
  return (
    Math.ceil(Math.max(1, exportCount) / maxConcurrency) * (maxExportSeconds + EXPORT_SLACK_SECONDS) +
    RUN_SLACK_SECONDS
  );
}

/** The most exports one run can carry within `runTimeoutSeconds` (whole waves of `maxConcurrency`). */
export function maxExportsPerRun(
  runTimeoutSeconds: number,
  maxConcurrency: number,
  maxExportSeconds: number,
): number {
  const waves = Math.floor(
    (runTimeoutSeconds - RUN_SLACK_SECONDS) / (maxExportSeconds + EXPORT_SLACK_SECONDS),
  );
  return Math.max(0, waves) * maxConcurrency;
}

/**
 * Step Functions caps a state's input and output at 256 KiB (262,144 bytes). Prepare Run's output (and
 * so the Distributed Map's input) is kept below this, with room for what the state machine adds.
 */
export const RUN_PAYLOAD_BUDGET_BYTES = 240 * 1024;
