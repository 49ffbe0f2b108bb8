/**
 * Ends a run: counts the export outcomes into one run event (or a rejection event when the input was
 * refused) and says whether the execution should succeed. The outcomes are read from the Distributed
 * Map's result files in S3; a results array (a Map without ResultWriter) is taken as it is.
 */
import type { RunEventDetail } from '../../contract/events';
import { RUN_DETAIL_TYPES } from '../../contract/names';
import { describeCaughtError } from '../shared/caught-error';
import { InvalidTaskStateError } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import type { CaughtError, EventEnvelope, ExportResult } from '../shared/types';
import { isResultWriterOutput, readMapResults, type ResultWriterOutput } from './map-results';
import { deliverEvents, type EventTarget } from '../shared/put-events';

export { RUN_DETAIL_TYPES };
export type { RunEventDetail };

/** Names listed per outcome in the run event; the counts always cover every export. */
const MAX_LISTED = 100;

export interface SummarizeRunEvent {
  readonly execution: { readonly name: string; readonly arn: string; readonly startTime: string };
  /** Where owed export events go (the state machine's own bus and source). */
  readonly events?: EventTarget;
  /**
   * Where the Map wrote one result per export (or the results themselves); absent when the run was
   * rejected.
   */
  readonly results?: ResultWriterOutput | ExportResult[];
  /** Why the run started no export: InvalidExecutionInput (rejected) or RunSkipped (an earlier run overlaps). */
  readonly error?: CaughtError;
}

export interface RunSummary {
  readonly event: EventEnvelope<RunEventDetail>;
  /**
   * How the execution ends: SUCCEEDED when every export succeeded; SKIPPED (a Succeed state too, so that
   * a run yielding to an earlier one trips no failed-executions alarm); FAILED otherwise.
   */
  readonly runOutcome: 'SUCCEEDED' | 'SKIPPED' | 'FAILED';
  /** For the Fail state of a run that did not succeed. */
  readonly failure?: { readonly error: string; readonly cause: string };
}

export function summarizeRun(
  event: Omit<SummarizeRunEvent, 'results'> & {
    readonly results?: ExportResult[];
    readonly resultsManifest?: string;
    readonly lateEvents?: number;
  },
  nowMs: number,
): RunSummary {
  const { execution, results, error, resultsManifest, lateEvents } = event;
  if (!execution?.name || (!error && !Array.isArray(results))) {
    throw new InvalidTaskStateError(
      `summarize-run needs execution and results or error; got ${JSON.stringify(event).slice(0, 500)}`,
    );
  }
  const completedAt = new Date(nowMs).toISOString();
  const base = {
    executionName: execution.name,
    executionArn: execution.arn,
    startedAt: execution.startTime,
    completedAt,
    durationSeconds: Math.max(0, Math.round((nowMs - Date.parse(execution.startTime)) / 1000)),
  };
  if (error) {
    // The run never got to its exports: its input was refused, or an earlier run is exporting the same data.
    const caught = describeCaughtError(error);
    // The input fit StartExecution's limit but not Prepare Run's payload (the input plus the run's settings).
    const detail =
      error.Error === 'States.DataLimitExceeded'
        ? {
            ...caught,
            message:
              "input: too large for Prepare Run's task payload, which holds the execution input plus about " +
              "400 bytes of the run's settings within Step Functions' 256 KiB (262,144 bytes); send a smaller " +
              `input, e.g. configured exports named with "exportNames" (${caught.message})`,
          }
        : caught;
    const skipped = error.Error === 'RunSkipped';
    return {
      event: {
        detailType: skipped ? RUN_DETAIL_TYPES.skipped : RUN_DETAIL_TYPES.rejected,
        detail: {
          ...base,
          status: skipped ? 'SKIPPED' : 'REJECTED',
          exportCount: 0,
          succeeded: 0,
          failed: 0,
          timedOut: 0,
          failedExports: [],
          timedOutExports: [],
          error: detail,
        },
      },
      runOutcome: skipped ? 'SKIPPED' : 'FAILED',
      failure: {
        error: detail.type,
        cause: skipped
          ? `The run was skipped: ${detail.message}`
          : `The run was rejected before any export started: ${detail.message}`,
      },
    };
  }
  const all = results as ExportResult[];
  const named = (outcome: ExportResult['outcome']) =>
    all.filter((r) => r.outcome === outcome).map((r) => r.name);
  const failedExports = named('FAILED');
  const timedOutExports = named('TIMED_OUT');
  const succeeded = all.length - failedExports.length - timedOutExports.length;
  const ok = failedExports.length === 0 && timedOutExports.length === 0;
  const detail: RunEventDetail = {
    ...base,
    status: ok ? 'SUCCEEDED' : 'FAILED',
    exportCount: all.length,
    succeeded,
    failed: failedExports.length,
    timedOut: timedOutExports.length,
    failedExports: failedExports.slice(0, MAX_LISTED),
    timedOutExports: timedOutExports.slice(0, MAX_LISTED),
    ...(resultsManifest ? { resultsManifest } : {}),
    ...(lateEvents ? { lateEvents } : {}),
  };
  return {
    event: { detailType: RUN_DETAIL_TYPES.completed, detail },
    runOutcome: ok ? 'SUCCEEDED' : 'FAILED',
    ...(ok
      ? {}
      : {
          failure: {
            error: 'ExportsDidNotSucceed',
            cause:
              `${all.length - succeeded} of ${all.length} exports did not succeed` +
              (failedExports.length ? `; failed: ${failedExports.slice(0, 10).join(', ')}` : '') +
              (timedOutExports.length ? `; timed out: ${timedOutExports.slice(0, 10).join(', ')}` : '') +
              '. Each export emitted its own event with the reason.',
          },
        }),
  };
}

export const handler = withLambdaContext(async (event: SummarizeRunEvent): Promise<RunSummary> => {
  const written = isResultWriterOutput(event.results) ? event.results : undefined;
  const outcomes = written ? await readMapResults(written) : undefined;
  // Every export ends in one event: those EventBridge refused during the run are delivered before the run
  // event, so that the run event is the last.
  const owed = (outcomes ?? []).flatMap((o) => (o.owed ? [o.owed] : []));
  if (owed.length > 0) {
    if (!event.events?.source || !event.events.eventBusName) {
      throw new InvalidTaskStateError(
        `summarize-run owes ${owed.length} export events but has no events target`,
      );
    }
    await deliverEvents(owed, event.events);
  }
  const summary = summarizeRun(
    written
      ? {
          ...event,
          results: outcomes!.map((o) => o.result),
          resultsManifest: `s3://${written.ResultWriterDetails.Bucket}/${written.ResultWriterDetails.Key}`,
          lateEvents: owed.length,
        }
      : { ...event, results: event.results as ExportResult[] | undefined },
    Date.now(),
  );
  logger.info('Run ended', { ...summary.event.detail });
  return summary;
});
