/**
 * The limits of a run and the arithmetic that keeps the workflow within Step Functions' quotas: how often
 * an export is checked at most, how long a run can take, and what its history and payload cost. Shared by
 * the synth-time check (lib/workflow-props-check.ts), the handlers and the local run.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html
 */
import type { ExportSpec, PollingSettings } from './exports';

/** The wait before check number `pollsDone + 1`, ignoring the deadline. */
export function backoffSeconds(pollsDone: number, polling: PollingSettings): number {
  const grown = polling.initialWaitSeconds * Math.pow(polling.backoffRate, pollsDone);
  return Math.max(1, Math.min(polling.maxWaitSeconds, Math.round(grown)));
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

/**
 * Most history events one status check (or start attempt) can cost: Wait (2), Task (5) and Choice (2),
 * plus 3 for each of the task's 12 possible retries (6 for Lambda errors, 6 for TransientServiceError).
 */
export const HISTORY_EVENTS_PER_POLL = 9 + 3 * 12;
/** Most history events of one export outside its checks: start, finalize and emit with all their retries. */
export const HISTORY_EVENTS_PER_EXPORT_OVERHEAD = 150;

/**
 * Bytes of Prepare Run's output for a run of every configured export: each goes in the run's list by type
 * and name only; the run context is counted with the longest execution name (80 characters).
 */
export function runPayloadBytes(specs: readonly ExportSpec[], polling?: PollingSettings): number {
  return Buffer.byteLength(
    JSON.stringify({
      run: {
        executionName: 'x'.repeat(80),
        executionArn: 'a'.repeat(200),
        startTime: '2026-01-01T00:00:00.000Z',
        polling,
      },
      exports: specs.map((s) => ({ type: s.type, name: s.name })),
    }),
  );
}

/** Step Functions' hard limit is 25,000; configurations are kept well below it. */
export const HISTORY_EVENT_BUDGET = 20_000;

/**
 * The worst-case history events of one export's child execution under these polling settings: every
 * start attempt (waiting for capacity) and status check it can make, each with all its retries. The
 * history-aware schedule keeps within the same bound (lambda/shared/schedule.ts).
 */
export function worstCaseExportHistoryEvents(polling: PollingSettings): number {
  return maxChecks(polling) * HISTORY_EVENTS_PER_POLL + HISTORY_EVENTS_PER_EXPORT_OVERHEAD;
}
