/**
 * What `npm run simulate` prints for a person at the end of a run: events, the outcome, a table, the files,
 * the permissions report.
 */
import { describePermissions } from './access/report';
import type { LocalRunResult } from './run';

export function duration(seconds: number | undefined): string {
  if (seconds === undefined) return '-';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0 ? `${h}h ${String(m).padStart(2, '0')}m` : `${m}m ${String(s).padStart(2, '0')}s`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** `runDir` as the person should read it (relative to where they are). */
export function printSummary(result: LocalRunResult, runDir: string): void {
  console.log(`\nEvents sent to EventBridge (${result.events.length}):`);
  for (const { event, eventBusName } of result.events) {
    console.log(`--- ${event['detail-type']} (bus: ${eventBusName})`);
    console.log(JSON.stringify(event, null, 2));
  }
  if (result.firstAttempt) {
    const { failedState, error } = result.firstAttempt;
    console.log(
      `\nFirst attempt: ended in state "${failedState}" (${error.error}: ${error.cause}); redriven`,
    );
  }
  for (const cleanup of result.cleanups ?? []) {
    const report = cleanup.report as { skipped?: string; stopped?: { jobState: string }[] } | undefined;
    console.log(
      `\nClean-up of the ${cleanup.executionStatus} run: ` +
        (report?.skipped
          ? `nothing to do (${report.skipped})`
          : report
            ? `${report.stopped?.length ?? 0} unfinished export(s) (${(report.stopped ?? []).map((s) => s.jobState).join(', ') || 'none'}), after ${cleanup.attempts} attempt(s)`
            : `FAILED ${cleanup.attempts} time(s) (${cleanup.error})${cleanup.deadLetterQueue ? `; the event is in the dead-letter queue ${cleanup.deadLetterQueue}` : ''}`),
    );
  }
  console.log(
    `\nExecution ${result.executionName}: ${result.status}` +
      (result.error
        ? ` in state "${result.failedState}" (${result.error.error}: ${result.error.cause})`
        : ''),
  );
  console.log(
    `Simulated time ${duration(result.simulatedSeconds)}; ${result.counts.stateTransitions} state transitions, ` +
      `${result.counts.lambdaInvocations} Lambda invocations, ${result.counts.retries} retries; ` +
      `jobs started: ${result.counts.glueTaskRunsStarted} Glue, ${result.counts.personalizeJobsCreated} Personalize`,
  );
  console.log(
    `History (estimated, limit 25,000 per execution): run ${result.counts.runHistoryEvents} events, ` +
      `largest export ${result.counts.largestExportHistoryEvents}; ` +
      `largest state input ${result.counts.largestStateInputBytes} bytes (limit 262,144)`,
  );
  if (result.exports.length > 0 && result.exports.length <= 50) {
    console.log('');
    console.log(
      table([
        ['EXPORT', 'TYPE', 'OUTCOME', 'CHECKS', 'JOB TIME', 'EVENTS', 'OUTPUT / ERROR'],
        ...result.exports.map((e) => [
          e.name,
          e.type,
          e.outcome ?? '-',
          String(e.polls),
          duration(e.simulatedSeconds),
          String(e.events),
          e.outcome === 'SUCCEEDED' ? (e.outputS3Path ?? '') : (e.error ?? ''),
        ]),
      ]),
    );
  }
  const counts = result.exports.map((e) => e.events);
  if (result.exports.length > 0) {
    // A redrive after a stop is a new attempt: each export has one terminal event per attempt.
    const attempts =
      result.firstAttempt && result.cleanups?.some((c) => c.report && !c.report.skipped) ? 2 : 1;
    const once = counts.every((n) => n === attempts);
    console.log(
      `\nTerminal events: ${result.exports.length} export(s), ` +
        (once
          ? attempts === 1
            ? 'each with exactly one'
            : 'each with exactly one per attempt (the stopped run, the redrive)'
          : `NOT one each: ${result.exports
              .filter((e) => e.events !== attempts)
              .map((e) => `${e.name} (${e.events})`)
              .join(', ')}`),
    );
  }
  console.log(`\nFiles written under ${runDir} (${result.filesWritten.length}):`);
  for (const f of result.filesWritten.slice(0, 20)) console.log(`  ${f}`);
  if (result.filesWritten.length > 20)
    console.log(`  ... and ${result.filesWritten.length - 20} more (--json lists them all)`);
  console.log(`\n${describePermissions(result.permissions).join('\n')}`);
  // The clean-up of another deployment (--cleanup-config) went by that deployment's policies.
  for (const cleanup of result.cleanups ?? [])
    if (cleanup.permissions)
      console.log(
        `\nThe clean-up, as the other deployment's:\n${describePermissions(cleanup.permissions).join('\n')}`,
      );
}
