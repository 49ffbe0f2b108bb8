/**
 * What an ended run did, read from Step Functions itself, never from the configuration deployed now: the
 * execution (DescribeExecution), where it stood and which exports it listed (GetExecutionHistory), its Map
 * Run's child executions (ListMapRuns, ListExecutions with mapRunArn, DescribeExecution) and, for a child that
 * did not finish, where it stood (its own history).
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_ListMapRuns.html
 * @see https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListMapRunsCommand,
  SFNClient,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { STATE_NAMES } from '../../contract/names';
import { classifyAwsError } from '../shared/aws-errors';
import { parseJsonObject } from '../shared/child-outcome';
import { CLIENT_CONFIG } from '../shared/client-config';
import { allPages } from '../shared/pages';

const sfn = new SFNClient(CLIENT_CONFIG);
const MAX_PAGES = 50;
/** Child executions described at once: enough for thousands, gentle on Step Functions' request rate. */
const CHILDREN_AT_ONCE = 8;

async function call<T>(send: () => Promise<T>, what: string, resource: string): Promise<T> {
  return send().catch((err: unknown) => {
    throw classifyAwsError(err, `Step Functions ${what}`, resource);
  });
}

export function describeExecution(executionArn: string): Promise<DescribeExecutionOutput> {
  return call(
    () => sfn.send(new DescribeExecutionCommand({ executionArn })),
    'DescribeExecution',
    executionArn,
  );
}

/** Where an execution stood, from the newest events of its history. */
export interface Standing {
  /** The state it was in (or last entered). */
  readonly lastState?: string;
  /** Whether that state had ended (an exit follows its entry). */
  readonly lastStateExited: boolean;
  /** The newest state data: the last state's output when it exited, else its input. */
  readonly data?: Record<string, unknown>;
  /** States that exited in this attempt (since the execution's start or latest redrive). */
  readonly exited: ReadonlySet<string>;
  /** The newest state data holding the run's list of exports (`exports`) and its context (`run`). */
  readonly runList?: Record<string, unknown>;
}

const isEntered = (e: HistoryEvent) => Boolean(e.type?.endsWith('StateEntered'));
const isExited = (e: HistoryEvent) => Boolean(e.type?.endsWith('StateExited'));
const isAttemptStart = (e: HistoryEvent) => e.type === 'ExecutionStarted' || e.type === 'ExecutionRedriven';

/**
 * Reads the history newest first until the start of the latest attempt, and (with `findRunList`) on until a
 * state that holds the run's list of exports (the Map's input, or Prepare Run's output).
 */
export async function standingOf(executionArn: string, findRunList = false): Promise<Standing> {
  let lastEntered: HistoryEvent | undefined;
  let lastExited: HistoryEvent | undefined;
  let runList: Record<string, unknown> | undefined;
  const exited = new Set<string>();
  let attemptDone = false;
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const response = await call(
      () =>
        sfn.send(
          new GetExecutionHistoryCommand({
            executionArn,
            reverseOrder: true,
            maxResults: 100,
            includeExecutionData: true,
            nextToken,
          }),
        ),
      'GetExecutionHistory',
      executionArn,
    );
    for (const event of response.events ?? []) {
      if (isAttemptStart(event)) attemptDone = true;
      if (!attemptDone && isExited(event)) {
        exited.add(event.stateExitedEventDetails?.name ?? '');
        lastExited ??= event;
      }
      if (!attemptDone && isEntered(event)) lastEntered ??= event;
      if (findRunList && !runList) {
        const data = parseJsonObject(
          event.stateEnteredEventDetails?.input ?? event.stateExitedEventDetails?.output,
        );
        if (Array.isArray(data?.exports) && data?.run) runList = data;
      }
      if (attemptDone && (!findRunList || runList)) break;
    }
    nextToken = response.nextToken;
    if (!nextToken || (attemptDone && (!findRunList || runList))) break;
  }
  const lastState = lastEntered?.stateEnteredEventDetails?.name;
  const lastStateExited =
    lastExited !== undefined && (lastEntered === undefined || (lastExited.id ?? 0) > (lastEntered.id ?? 0));
  const data = parseJsonObject(
    lastStateExited
      ? lastExited?.stateExitedEventDetails?.output
      : lastEntered?.stateEnteredEventDetails?.input,
  );
  return { lastState, lastStateExited, data, exited, runList };
}

/** Whether the run sent its own run event in its latest attempt. */
export function sentRunEvent(standing: Standing): boolean {
  return standing.exited.has(STATE_NAMES.emitRunEvent);
}

/** A child execution of the run's export Map, as DescribeExecution tells it. */
export interface ChildExecution {
  readonly executionArn: string;
  readonly status: string;
  readonly input?: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** Every child execution of the run's Map Runs, described. */
export async function childExecutions(executionArn: string): Promise<ChildExecution[]> {
  const mapRunArns = await allPages(
    (nextToken) =>
      call(
        () => sfn.send(new ListMapRunsCommand({ executionArn, maxResults: 1000, nextToken })),
        'ListMapRuns',
        executionArn,
      ),
    (page) => page.mapRuns?.map((m) => String(m.mapRunArn)),
    MAX_PAGES,
  );
  const arns: string[] = [];
  for (const mapRunArn of mapRunArns) {
    const children = await allPages(
      (nextToken) =>
        call(
          () => sfn.send(new ListExecutionsCommand({ mapRunArn, maxResults: 1000, nextToken })),
          'ListExecutions',
          mapRunArn,
        ),
      (page) => page.executions?.map((e) => String(e.executionArn)),
      MAX_PAGES,
    );
    arns.push(...children);
  }
  const described: ChildExecution[] = [];
  const queue = [...arns];
  await Promise.all(
    Array.from({ length: Math.min(CHILDREN_AT_ONCE, queue.length) }, async () => {
      for (let arn = queue.shift(); arn; arn = queue.shift()) {
        const child = await describeExecution(arn);
        described.push({
          executionArn: arn,
          status: String(child.status),
          input: child.input,
          output: child.output,
          error: child.error,
          cause: child.cause,
        });
      }
    }),
  );
  return described;
}
