/**
 * Overlapping runs: a run yields to an earlier execution of the same state machine that is still running
 * and exports any of the same transforms or datasets, so a schedule firing during a long manual run (or
 * the other way round) never starts a second job for the same data. Executions are ordered by when they
 * last started: a redrive counts as a start (its `redriveDate`), so a run redriven while a newer run exports
 * the same data yields to it. Ties go by name, so of two runs started together exactly one goes ahead.
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListExecutions.html
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  type ExecutionListItem,
} from '@aws-sdk/client-sfn';
import { allPages } from './pages';
import { CLIENT_CONFIG } from './client-config';
import { classifyAwsError } from './aws-errors';
import type { ExportSpec } from './types';

const sfn = new SFNClient(CLIENT_CONFIG);
const MAX_PAGES = 10;

export interface Overlap {
  readonly executionArn: string;
  readonly executionName: string;
  /** When the other execution (last) started: its start, or its latest redrive. */
  readonly startDate: string;
  /** The exports of this run whose transform or dataset the other execution is exporting. */
  readonly exportNames: string[];
}

/** What an export writes from: runs conflict when they share one. */
export function exportTarget(spec: ExportSpec): string {
  return spec.type === 'glue' ? `glue:${spec.transformId}` : `personalize:${spec.datasetArn}`;
}

/** When an execution last started: its latest redrive, else its start. */
function lastStartMs(e: Pick<ExecutionListItem, 'startDate' | 'redriveDate'>): number {
  return (e.redriveDate ?? e.startDate)?.getTime() ?? Number.POSITIVE_INFINITY;
}

/** The running executions of the state machine, this one included (up to MAX_PAGES pages). */
async function runningExecutions(stateMachineArn: string): Promise<ExecutionListItem[]> {
  return allPages(
    (nextToken) =>
      // Fails closed: an error is classified (and a transient one retried by the state machine) but never
      // lets the run go ahead unchecked.
      sfn
        .send(
          new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING', maxResults: 100, nextToken }),
        )
        .catch((err: unknown) => {
          throw classifyAwsError(err, 'Step Functions ListExecutions', stateMachineArn);
        }),
    (page) => page.executions,
    MAX_PAGES,
  );
}

/**
 * The first execution that (last) started before this one, is still running and exports any of `selected`'s
 * targets, or undefined. `exportsOf` turns another execution's input into its exports (undefined when that
 * input is invalid).
 */
export async function findOverlap(
  stateMachineArn: string,
  me: { name: string; arn: string; startTime: string },
  selected: readonly ExportSpec[],
  exportsOf: (input: unknown) => ExportSpec[] | undefined,
): Promise<Overlap | undefined> {
  const mine = new Map(selected.map((s) => [exportTarget(s), s.name]));
  const running = await runningExecutions(stateMachineArn);
  // This run as Step Functions lists it: a redriven run has a redriveDate, and counts from there.
  const self = running.find((e) => e.executionArn === me.arn);
  const myStart = self ? lastStartMs(self) : Date.parse(me.startTime);
  const earlier = running
    .filter((other) => other.executionArn !== me.arn)
    .filter((other) => {
      const theirs = lastStartMs(other);
      return theirs < myStart || (theirs === myStart && (other.name ?? '') < me.name);
    })
    .sort((a, b) => lastStartMs(a) - lastStartMs(b));
  for (const other of earlier) {
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
        startDate: new Date(lastStartMs(other)).toISOString(),
        exportNames: [...new Set(shared.map((t) => mine.get(t)!))],
      };
    }
  }
  return undefined;
}

/** How a run stands as Step Functions describes it: whether (and when) it was redriven. */
export interface RunStanding {
  readonly status?: string;
  readonly redriveCount: number;
  readonly redriveDate?: Date;
}

export async function describeRun(executionArn: string): Promise<RunStanding> {
  const described = await sfn.send(new DescribeExecutionCommand({ executionArn })).catch((err: unknown) => {
    throw classifyAwsError(err, 'Step Functions DescribeExecution', executionArn);
  });
  return {
    status: described.status,
    redriveCount: described.redriveCount ?? 0,
    ...(described.redriveDate ? { redriveDate: described.redriveDate } : {}),
  };
}
