/**
 * What a local run counts: state transitions, Lambda invocations, retries, the largest state input, and
 * the Step Functions history events each execution (the run and each export's child) would record; and,
 * once it has ended, one report per export from its events.
 */
import type { CapturedEvent, ExportReport, LocalRunResult } from './run-types';

/**
 * History events Step Functions records per state entered (Standard workflows): a Task is entered,
 * scheduled, started, succeeds and exits; a Distributed Map also records its map run. Each retry adds a
 * failed, scheduled and started event; each execution its start and end.
 */
export const HISTORY_EVENTS_BY_STATE: Record<string, number> = {
  Task: 5,
  Map: 6,
  Wait: 2,
  Choice: 2,
  Pass: 2,
  Succeed: 2,
  Fail: 1,
  Parallel: 4,
};
export const HISTORY_EVENTS_PER_RETRY = 3;
export const HISTORY_EVENTS_PER_EXECUTION = 2;

/** The run's counters, and the history events of each of its executions. */
export function runCounter() {
  const counts = {
    stateTransitions: 0,
    lambdaInvocations: 0,
    retries: 0,
    historyEvents: HISTORY_EVENTS_PER_EXECUTION,
    largestStateInputBytes: 0,
  };
  /** Estimated history events per execution: the run (key -1) and each export's child (its Map index). */
  const historyByExecution = new Map<number, number>([[-1, HISTORY_EVENTS_PER_EXECUTION]]);
  const addHistory = (index: number | undefined, events: number) => {
    counts.historyEvents += events;
    const key = index ?? -1;
    historyByExecution.set(key, (historyByExecution.get(key) ?? 0) + events);
  };
  /** The counts as the run's result reports them. */
  const result = (): Omit<LocalRunResult['counts'], 'glueTaskRunsStarted' | 'personalizeJobsCreated'> => ({
    ...counts,
    runHistoryEvents: historyByExecution.get(-1) ?? 0,
    largestExportHistoryEvents: Math.max(
      0,
      ...[...historyByExecution].filter(([key]) => key >= 0).map(([, events]) => events),
    ),
  });
  return { counts, addHistory, result };
}

/**
 * One line per export of the run, from its last event; an export that got no event (EventBridge refused
 * it) still shows, with its checks and the last state its child execution entered.
 */
export function exportReports(
  items: readonly { name: string; type: string }[],
  events: readonly CapturedEvent[],
  polls: ReadonlyMap<string, number>,
  lastState: ReadonlyMap<number, { name: string }>,
): ExportReport[] {
  const exportEvents = events.map((e) => e.event.detail).filter((d) => typeof d.exportName === 'string');
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const d of exportEvents)
    byName.set(d.exportName as string, [...(byName.get(d.exportName as string) ?? []), d]);
  const known = items.map((item, i) => ({ ...item, index: i }));
  for (const name of byName.keys())
    if (!items.some((i) => i.name === name)) known.push({ name, type: '', index: -1 });
  return known.map(({ name, type, index }) => {
    const mine = byName.get(name) ?? [];
    const last = mine[mine.length - 1];
    const stoppedIn = lastState.get(index)?.name;
    if (!last)
      return {
        name,
        type,
        polls: polls.get(name) ?? 0,
        ...(stoppedIn ? { lastState: stoppedIn } : {}),
        error: `no event; last state "${stoppedIn ?? '-'}"`,
        events: 0,
      };
    return {
      name,
      type: String(last.exportType),
      outcome: last.outcome as string | undefined,
      ...(stoppedIn ? { lastState: stoppedIn } : {}),
      polls: Number(last.pollCount ?? polls.get(name) ?? 0),
      simulatedSeconds: last.durationSeconds as number | undefined,
      outputS3Path: last.outputS3Path as string | undefined,
      error: (last.error as { message?: string } | undefined)?.message,
      events: mine.length,
    };
  });
}
