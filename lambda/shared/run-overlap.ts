/**
 * The overlap rule as the handlers apply it: Prepare Run before a run starts any export, and each start task
 * before it starts a new job (so that a redriven run, which does not run Prepare Run again, yields too).
 * Other executions' inputs are read with the same rules and export catalog as this run's.
 */
import { listSome } from '../../contract/validation';
import { configuredCatalog } from './catalog';
import { InvalidTaskStateError, RunSkippedError } from './errors';
import { findOverlap } from './overlap';
import { createdResources, selectExports, stateMachineArnOf } from './select-exports';
import type { ExportSpec, RunContext } from './types';

/**
 * Throws RunSkipped when an execution that (last) started before this run is still running and exports any
 * of `specs`' transforms or datasets; `what` says what was not started ("this run started no job").
 */
export async function yieldToEarlierRun(
  run: Pick<RunContext, 'executionName' | 'executionArn' | 'startTime'>,
  specs: readonly ExportSpec[],
  what: string,
): Promise<void> {
  // Fails closed: without its own state machine's ARN the run cannot look for overlapping runs.
  const stateMachineArn = stateMachineArnOf(run.executionArn);
  if (!stateMachineArn) {
    throw new InvalidTaskStateError(
      `the run's executionArn must be a Step Functions execution ARN; got ${JSON.stringify(run.executionArn)}`,
    );
  }
  const overlap = await findOverlap(
    stateMachineArn,
    { name: run.executionName, arn: run.executionArn, startTime: run.startTime },
    specs,
    (input) => {
      // Read only when there is another run to look at.
      const { exports: configured, allowedOutputS3Prefixes } = configuredCatalog();
      try {
        return selectExports(input, configured, allowedOutputS3Prefixes, createdResources(process.env));
      } catch {
        return undefined;
      }
    },
  );
  if (overlap) {
    throw new RunSkippedError(
      `execution ${overlap.executionName} (started ${overlap.startDate}) is still running and exports the same data as ` +
        `${listSome(overlap.exportNames)}, so ${what} (${overlap.executionArn})`,
    );
  }
}
