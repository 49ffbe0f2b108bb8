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
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import type { ExportSpec } from '../shared/types';

const sfn = new SFNClient(CLIENT_CONFIG);
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
    // Fails closed: an error is classified (and a transient one retried by the state machine) but never
    // lets the run go ahead unchecked.
    const listed = await sfn
      .send(
        new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
      )
      .catch((err: unknown) => {
        throw classifyAwsError(err, 'Step Functions ListExecutions', stateMachineArn);
      });
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
