/**
 * First task of a run: validates the execution input against the configured exports (the export catalog
 * bundled with this function) and turns it into the list of exports the run carries out. Configured
 * exports go in the list by type and name only, so that thousands fit in one state payload.
 *
 * Accepted input (anything else is rejected with one error naming each bad field):
 * - `{}`: every configured export (what the schedule sends);
 * - `{ "exportNames": ["a", "b"] }`: the named configured exports;
 * - `{ "exports": [ ... ] }`: explicit exports in the configuration's shape, for the transforms, datasets
 *   and roles this deployment is allowed to use.
 */
import { InvalidExecutionInputError, InvalidTaskStateError } from '../shared/errors';
import { logger, withLambdaContext } from '../shared/logger';
import { configuredCatalog, toItem } from '../shared/catalog';
import { yieldToEarlierRun } from '../shared/run-overlap';
import { createdResources, selectExports } from '../shared/select-exports';
import type { ExportItem, PollingSettings, RunContext } from '../shared/types';
import { formatProblems, listSome } from '../../contract/validation';
import { maxExportsPerRun, RUN_PAYLOAD_BUDGET_BYTES, runSecondsNeeded } from '../shared/polling';

export interface PrepareRunEvent {
  /** The execution input as the operator or the schedule gave it. */
  readonly input: unknown;
  readonly polling: PollingSettings;
  readonly execution: { readonly name: string; readonly arn: string; readonly startTime: string };
  /** How many exports go at once, and the state machine's timeout: a run must be able to finish in it. */
  readonly limits: {
    readonly maxConcurrency: number;
    readonly runTimeoutSeconds: number;
    /** Jobs of each service that may run at once (the account quotas); the run's list is paced by them. */
    readonly glue?: number;
    readonly personalize?: number;
  };
}

/** Step Functions execution names: 1-80 characters. */
const MAX_EXECUTION_NAME = 80;

export interface PreparedRun {
  readonly run: RunContext;
  readonly exports: ExportItem[];
}

/**
 * The exports in the order the Map starts them: Glue and Personalize interleaved in the ratio of the
 * jobs each service may run at once, so that the exports in flight match the account's quotas instead of
 * one service's exports queueing for capacity while the other's slots stay free. Otherwise in the order
 * given.
 */
export function interleaveByQuota<T extends { type: string }>(
  specs: readonly T[],
  limits: { readonly glue?: number; readonly personalize?: number },
): T[] {
  const glue = specs.filter((s) => s.type === 'glue');
  const personalize = specs.filter((s) => s.type !== 'glue');
  const g = limits.glue ?? 1;
  const p = limits.personalize ?? 1;
  const out: T[] = [];
  let gi = 0;
  let pi = 0;
  while (gi < glue.length || pi < personalize.length) {
    // The service furthest behind its share goes next.
    const takeGlue = pi >= personalize.length || (gi < glue.length && (gi + 1) / g <= (pi + 1) / p);
    out.push(takeGlue ? glue[gi++] : personalize[pi++]);
  }
  return out;
}

/** Refuses a run too long for the state machine's timeout, which would stop its exports unfinished. */
function checkRunFits(count: number, event: PrepareRunEvent): void {
  const { maxConcurrency, runTimeoutSeconds } = event.limits;
  const { maxExportSeconds } = event.polling;
  if (runSecondsNeeded(count, maxConcurrency, maxExportSeconds) <= runTimeoutSeconds) return;
  const fits = maxExportsPerRun(runTimeoutSeconds, maxConcurrency, maxExportSeconds);
  throw new InvalidExecutionInputError(
    formatProblems([
      {
        field: 'input.exports',
        value: `${count} exports`,
        expected:
          `at most ${fits} exports per run: ${maxConcurrency} go at a time and each may take up to ${maxExportSeconds} s, ` +
          `and a run must end within the state machine's timeout of ${runTimeoutSeconds} s; split them over several runs`,
      },
    ]),
  );
}

/** Refuses a list of exports too large for the state payload (only explicit `exports` input can get there). */
function checkPayloadFits(prepared: PreparedRun): void {
  const bytes = Buffer.byteLength(JSON.stringify(prepared));
  if (bytes <= RUN_PAYLOAD_BUDGET_BYTES) return;
  throw new InvalidExecutionInputError(
    formatProblems([
      {
        field: 'input.exports',
        value: `${prepared.exports.length} exports (${bytes} bytes as a run's list)`,
        expected: `a list of at most ${RUN_PAYLOAD_BUDGET_BYTES} bytes, to fit Step Functions' 256 KiB state payload: configure the exports and name them with "exportNames", or split them over several runs`,
      },
    ]),
  );
}

export const handler = withLambdaContext(async (event: PrepareRunEvent): Promise<PreparedRun> => {
  const { execution } = event;
  if (!execution?.name || execution.name.length > MAX_EXECUTION_NAME || !event.limits?.maxConcurrency) {
    throw new InvalidTaskStateError(
      `prepare-run needs execution.name (1-${MAX_EXECUTION_NAME} characters) and limits; ` +
        `got ${JSON.stringify({ execution, limits: event.limits })}`,
    );
  }
  const { exports: configured, allowedOutputS3Prefixes } = configuredCatalog();
  const run: RunContext = {
    executionName: execution.name,
    executionArn: execution.arn,
    startTime: execution.startTime,
    polling: event.polling,
  };
  const created = createdResources(process.env);
  if (execution.name === '.' || execution.name === '..') {
    // Step Functions accepts these names, but a run's folder <prefix><date>/<name>/ would then be a
    // relative segment: a key that looks like it leads elsewhere.
    throw new InvalidExecutionInputError(
      formatProblems([
        {
          field: 'execution name',
          value: execution.name,
          expected: 'a name other than "." or "..": it names the run\'s output folder',
        },
      ]),
    );
  }
  const selected = selectExports(event.input, configured, allowedOutputS3Prefixes, created);
  checkRunFits(selected.length, event);
  const byName = new Map(configured.map((e) => [e.name, e]));
  const prepared: PreparedRun = {
    run,
    exports: interleaveByQuota(selected, event.limits).map((spec) => toItem(spec, byName)),
  };
  checkPayloadFits(prepared);
  await yieldToEarlierRun(run, selected, 'this run started no job');
  logger.info('Run prepared', {
    executionName: run.executionName,
    exportCount: selected.length,
    exports: listSome(selected.map((e) => `${e.type}:${e.name}`)),
  });
  return prepared;
});
