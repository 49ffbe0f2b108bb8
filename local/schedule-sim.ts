/**
 * One export's status checks, simulated with the handlers' own pure functions (startTracking, withHistory,
 * recordCheck): fast enough for thousands of random job durations, for the tests and the bench.
 */
import { startTracking } from '../lambda/shared/polling';
import { recordCheck, withHistory } from '../lambda/shared/schedule';
import type { HistorySummary, PollingSettings, TrackingOutcome } from '../lambda/shared/types';

export interface SimulatedExport {
  readonly checks: number;
  /** Seconds from the job's end to the check that saw it (0 when the export timed out). */
  readonly lagSeconds: number;
  readonly outcome: TrackingOutcome;
  /** Seconds from the start of each check, and each wait the schedule asked for. */
  readonly checkTimes: number[];
  readonly waits: number[];
  /** When the export's deadline fell, in seconds from the start. */
  readonly deadlineSeconds: number;
}

const T0 = Date.parse('2026-01-05T00:00:00Z');

/**
 * A job of `jobSeconds` (Infinity: never ends) started at the start task; each task takes
 * `latencySeconds(i)` more (default 0), as Lambda and Step Functions do.
 */
export function simulateExport(opts: {
  readonly polling: PollingSettings;
  readonly history?: HistorySummary;
  readonly jobSeconds: number;
  readonly latencySeconds?: (check: number) => number;
}): SimulatedExport {
  const { polling, history, jobSeconds } = opts;
  let now = T0;
  let tracking = withHistory(startTracking({ taskRunId: 'sim' }, false, now, polling), history, now, polling);
  const checkTimes: number[] = [];
  const waits: number[] = [tracking.waitSeconds];
  while (tracking.outcome === 'RUNNING') {
    now += (tracking.waitSeconds + (opts.latencySeconds?.(checkTimes.length) ?? 0)) * 1000;
    const at = (now - T0) / 1000;
    checkTimes.push(at);
    const ended = at >= jobSeconds;
    tracking = recordCheck(
      tracking,
      {
        outcome: ended ? 'SUCCEEDED' : 'RUNNING',
        serviceStatus: ended ? 'SUCCEEDED' : 'RUNNING',
        jobStartedAt: new Date(T0).toISOString(),
      },
      now,
      polling,
    );
    if (tracking.outcome === 'RUNNING') waits.push(tracking.waitSeconds);
  }
  const last = checkTimes[checkTimes.length - 1];
  return {
    checks: tracking.polls,
    lagSeconds: tracking.outcome === 'SUCCEEDED' ? last - jobSeconds : 0,
    outcome: tracking.outcome,
    checkTimes,
    waits,
    deadlineSeconds: (Date.parse(tracking.deadline) - T0) / 1000,
  };
}
