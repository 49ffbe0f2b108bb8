/**
 * Overlapping runs: a run yields to an earlier execution of the same state machine that is still running
 * and exports any of the same transforms or datasets, so a schedule firing during a long manual run (or
 * the other way round) never starts a second job for the same data. Executions are ordered by start time,
 * then name, so of two runs started together exactly one goes ahead.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  type ExecutionListItem,
} from '@aws-sdk/client-sfn';
import { classifyAwsError } from '../shared/aws-errors';
import { logger } from '../shared/logger';
import type { ExportSpec } from '../shared/types';

const sfn = new SFNClient({});
const MAX_PAGES = 10;

export interface Overlap {
  readonly executionArn: string;
  readonly executionName: string;
  readonly startDate: string;
  /** The exports of this run whose transform or dataset the other execution is exporting. */
  readonly exportNames: string[];
}

/** What an export writes from: runs conflict when they share one. */
export function exportTarget(spec: ExportSpec): string {
  return spec.type === 'glue' ? `glue:${spec.transformId}` : `personalize:${spec.datasetArn}`;
}

function startedBefore(other: ExecutionListItem, me: { name: string; startTime: string }): boolean {
  const theirs = other.startDate?.getTime() ?? Number.POSITIVE_INFINITY;
  const mine = Date.parse(me.startTime);
  return theirs < mine || (theirs === mine && (other.name ?? '') < me.name);
}

/**
 * Whether an error came from the Step Functions API. In AWS it always does; where no such API is reachable
 * (no answer at all, or an endpoint that does not know the operation, as in a local stand-in for Glue and
 * Personalize only) the check cannot be made, and the run goes on rather than fail for it.
 */
function isStepFunctionsApi(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e?.$metadata?.httpStatusCode;
  return status !== undefined && status !== 404 && !/^Unknown(Operation)?Exception$/.test(String(e?.name));
}

/**
 * The first earlier running execution that exports any of `selected`'s targets, or undefined.
 * `exportsOf` turns another execution's input into its exports (undefined when that input is invalid).
 */
export async function findOverlap(
  stateMachineArn: string,
  me: { name: string; arn: string; startTime: string },
  selected: readonly ExportSpec[],
  exportsOf: (input: unknown) => ExportSpec[] | undefined,
): Promise<Overlap | undefined> {
  const mine = new Map(selected.map((s) => [exportTarget(s), s.name]));
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    let listed;
    try {
      listed = await sfn.send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
      );
    } catch (err) {
      if (!isStepFunctionsApi(err)) {
        logger.warn('No Step Functions API answered: the check for overlapping runs is skipped', {
          error: String(err),
        });
        return undefined;
      }
      throw classifyAwsError(err, 'Step Functions ListExecutions', stateMachineArn);
    }
    for (const other of listed.executions ?? []) {
      if (other.executionArn === me.arn || !startedBefore(other, me)) continue;
      const described = await sfn
        .send(new DescribeExecutionCommand({ executionArn: other.executionArn }))
        .catch((err: unknown) => {
          throw classifyAwsError(err, 'Step Functions DescribeExecution', String(other.executionArn));
        });
      let input: unknown;
      try {
        input = JSON.parse(described.input ?? '{}');
      } catch {
        continue; // not JSON: that execution is rejected by its own Prepare Run
      }
      const shared = (exportsOf(input) ?? []).map(exportTarget).filter((t) => mine.has(t));
      if (shared.length > 0) {
        return {
          executionArn: String(other.executionArn),
          executionName: String(other.name),
          startDate: other.startDate?.toISOString() ?? '',
          exportNames: [...new Set(shared.map((t) => mine.get(t)!))],
        };
      }
    }
    nextToken = listed.nextToken;
    if (!nextToken) return undefined;
  }
  return undefined;
}
