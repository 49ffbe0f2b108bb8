/**
 * History-aware polling: neither Glue nor Personalize announces the end of an export, but the same exports
 * run every day and their past durations are on record. With enough consistent history the checks are
 * timed from it: one long sleep until a low quantile of past durations (less half a step), then checks a
 * small step apart until half a step past the high quantile, then the backoff again, resumed from that step. Without
 * usable history (too few runs, too noisy, strategy "backoff") the waits are exactly the backoff's.
 *
 * Two lower bounds on every wait keep the guarantees of the backoff, whatever the history says:
 * - budget: after each check, `checks + ceil(remaining / maxWaitSeconds)` stays at most `maxPolls`, so an
 *   export never makes more checks than the bound the synth-time history budget uses;
 * - lead: check k + 2 never comes before the backoff's check k, so a job of any length is noticed by at
 *   most 2 checks more than the backoff would have made.
 * Every wait also ends at the deadline at the latest, as the backoff's do.
 */
import { backoffSeconds, maxPolls, recordPoll, type StatusObservation } from './polling';
import type { HistorySummary, PollingSettings, Tracking } from './types';

/** Past runs looked up (one page): the most recent ones say most about the next. */
export const HISTORY_SIZE = 10;
/** Fewer successful runs than this are too little history. */
export const MIN_SAMPLES = 3;
/** History whose p10-p90 spread exceeds this share of the median is noise: the backoff serves better. */
export const MAX_SPREAD = 0.5;
/** The step between checks around the expected end, as a share of the expected duration: the lag target. */
export const LAG_FRACTION = 0.02;
/**
 * Seconds a check itself takes (the Wait state's end, the task's invocation and its API call) come on top
 * of the step: the step leaves this much of the lag target for them.
 */
export const CHECK_LATENCY_ALLOWANCE_SECONDS = 2;
/** The window of dense checks is covered in at most this many steps (wider history, wider steps). */
export const MAX_DENSE_STEPS = 3;
export const MIN_STEP_SECONDS = 10;
/** Most checks the history-aware schedule may be ahead of the backoff at any moment. */
export const MAX_LEAD_CHECKS = 2;

/** The p-quantile of sorted values, interpolated linearly. */
function quantile(sorted: readonly number[], p: number): number {
  const at = (sorted.length - 1) * p;
  const below = Math.floor(at);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below] + (sorted[above] - sorted[below]) * (at - below);
}

/** The summary of past durations (seconds, newest first): the first HISTORY_SIZE valid ones. */
export function summarizeDurations(durations: readonly number[]): HistorySummary | undefined {
  const recent = durations.filter((d) => Number.isFinite(d) && d > 0).slice(0, HISTORY_SIZE);
  if (recent.length === 0) return undefined;
  const sorted = [...recent].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    lowSeconds: Math.round(quantile(sorted, 0.1)),
    expectedSeconds: Math.round(quantile(sorted, 0.5)),
    highSeconds: Math.round(quantile(sorted, 0.9)),
  };
}

/** When to check, in seconds from the job's start: the first check, the step, the end of the window. */
export interface CheckPlan {
  readonly firstCheck: number;
  readonly step: number;
  readonly windowEnd: number;
}

/** The plan the history allows, or undefined when the backoff is to be used. */
export function planChecks(
  history: HistorySummary | undefined,
  polling: PollingSettings,
): CheckPlan | undefined {
  if (polling.strategy === 'backoff' || !history) return undefined;
  const { samples, lowSeconds: low, expectedSeconds: expected, highSeconds: high } = history;
  const consistent = low > 0 && low <= expected && expected <= high && high - low <= MAX_SPREAD * expected;
  if (!(samples >= MIN_SAMPLES) || !consistent) return undefined;
  const wanted = Math.max(
    expected * LAG_FRACTION - CHECK_LATENCY_ALLOWANCE_SECONDS,
    (high - low) / MAX_DENSE_STEPS,
  );
  const step = Math.round(Math.min(polling.maxWaitSeconds, Math.max(MIN_STEP_SECONDS, wanted)));
  const firstCheck = Math.max(1, Math.round(low - step / 2));
  // As far past p90 as the first check is before p10: a job a little slower than its history is still
  // noticed within a step.
  const windowEnd = firstCheck + Math.max(0, Math.ceil((high + step / 2 - firstCheck) / step)) * step;
  return { firstCheck, step, windowEnd };
}

/** The first planned check more than a second after `elapsed` (seconds from the job's start). */
export function nextPlannedCheck(plan: CheckPlan, elapsed: number, polling: PollingSettings): number {
  const after = elapsed + 1;
  if (after <= plan.firstCheck) return plan.firstCheck;
  if (after <= plan.windowEnd)
    return plan.firstCheck + Math.ceil((after - plan.firstCheck) / plan.step) * plan.step;
  // Past the window: the backoff, resumed from the step (at least the initial wait).
  let at = plan.windowEnd;
  let wait = Math.max(plan.step, polling.initialWaitSeconds);
  for (;;) {
    at += wait;
    if (at >= after) return at;
    const next = Math.min(polling.maxWaitSeconds, wait * polling.backoffRate);
    if (next === wait) return at + Math.ceil((after - at) / wait) * wait;
    wait = next;
  }
}

/** When the backoff alone makes its k-th check, in seconds from the start (0 for k = 0). */
export function backoffCheckAt(k: number, polling: PollingSettings): number {
  let at = 0;
  for (let i = 0; i < k; i++) at += backoffSeconds(i, polling);
  return at;
}

/**
 * The wait before the next check from history, or undefined when the backoff's wait stands (no usable
 * history). `checksDone` checks were made; `elapsed` seconds since the job started; `remaining` seconds to
 * the deadline (more than 0).
 */
export function historyWaitSeconds(args: {
  readonly polling: PollingSettings;
  readonly history: HistorySummary | undefined;
  readonly checksDone: number;
  readonly elapsed: number;
  readonly remaining: number;
  /**
   * Seconds from when tracking the job began to the deadline: less than `maxExportSeconds` when the
   * export first waited for capacity, whose start attempts share the time limit.
   */
  readonly phaseSeconds?: number;
}): number | undefined {
  const { polling, checksDone, elapsed, remaining } = args;
  const plan = planChecks(args.history, polling);
  if (!plan || !(remaining > 0)) return undefined;
  let wait = Math.round(nextPlannedCheck(plan, elapsed, polling) - elapsed);
  // Budget: leave enough checks at the longest wait to reach the deadline within what the backoff would
  // make in this phase (maxPolls for the whole time limit when the job started at once).
  const phase = Math.min(polling.maxExportSeconds, args.phaseSeconds ?? polling.maxExportSeconds);
  const spare = maxPolls({ ...polling, maxExportSeconds: Math.max(1, phase) }) - checksDone - 1;
  wait = Math.max(wait, remaining - spare * polling.maxWaitSeconds);
  // Lead: check k + 2 no earlier than the backoff's check k.
  if (checksDone >= MAX_LEAD_CHECKS)
    wait = Math.max(wait, Math.ceil(backoffCheckAt(checksDone + 1 - MAX_LEAD_CHECKS, polling) - elapsed));
  return Math.min(Math.max(1, wait), remaining);
}

/**
 * The start task's tracking with the export's history: kept in the record (a summary) and, when usable,
 * setting the first wait. `jobStartedMs` is when the job started (earlier than now for an adopted job).
 */
export function withHistory(
  tracking: Tracking,
  history: HistorySummary | undefined,
  nowMs: number,
  polling: PollingSettings,
  jobStartedMs = nowMs,
): Tracking {
  if (!history || tracking.outcome !== 'RUNNING') return tracking;
  const wait = historyWaitSeconds({
    polling,
    history,
    checksDone: tracking.polls,
    elapsed: Math.max(0, (nowMs - jobStartedMs) / 1000),
    remaining: Math.ceil((Date.parse(tracking.deadline) - nowMs) / 1000),
    phaseSeconds: phaseSeconds(tracking),
  });
  return { ...tracking, history, waitSeconds: wait ?? tracking.waitSeconds };
}

/** recordPoll, with the next wait timed from the export's history when it has a usable one. */
export function recordCheck(
  tracking: Tracking,
  observed: StatusObservation,
  nowMs: number,
  polling: PollingSettings,
): Tracking {
  const next = recordPoll(tracking, observed, nowMs, polling);
  if (next.outcome !== 'RUNNING' || !next.history) return next;
  // From the job's start as the service reports it, else from when the workflow started tracking it.
  const startedMs = Date.parse(next.jobStartedAt ?? next.trackingStartedAt);
  const wait = historyWaitSeconds({
    polling,
    history: next.history,
    checksDone: next.polls,
    elapsed: Number.isFinite(startedMs) ? Math.max(0, (nowMs - startedMs) / 1000) : 0,
    remaining: Math.ceil((Date.parse(next.deadline) - nowMs) / 1000),
    phaseSeconds: phaseSeconds(next),
  });
  return wait === undefined ? next : { ...next, waitSeconds: wait };
}

/** Seconds from the start of tracking to the deadline: the time this phase of the export has. */
function phaseSeconds(tracking: Tracking): number {
  return Math.ceil((Date.parse(tracking.deadline) - Date.parse(tracking.trackingStartedAt)) / 1000);
}
