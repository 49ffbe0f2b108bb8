/**
 * Pure polling decisions: how long to wait before the next status check and when an export has run out
 * of time. Waits grow exponentially from `initialWaitSeconds` by `backoffRate` up to `maxWaitSeconds`, and
 * never run past the export's deadline, so the last check happens at the deadline itself.
 */
import { backoffSeconds } from '../../contract/limits';
import type { CapacityWait, PollingSettings, Tracking, TrackingOutcome } from './types';

export {
  backoffSeconds,
  EXPORT_SLACK_SECONDS,
  maxChecks,
  maxExportsPerRun,
  maxPolls,
  rampChecks,
  RUN_PAYLOAD_BUDGET_BYTES,
  RUN_SLACK_SECONDS,
  runSecondsNeeded,
} from '../../contract/limits';

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
