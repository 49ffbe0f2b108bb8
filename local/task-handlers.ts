/**
 * The local run's Task state handlers, keyed by state name as aws-local-stepfunctions wants them: each
 * Lambda invoke runs the bundled handler from the cloud assembly, `events:putEvents` is captured as
 * EventBridge would receive it, and a Map's ResultWriter step writes to the stand-in's S3. Every task's
 * input and result is held to Step Functions' 256 KiB limit.
 */
import { randomUUID } from 'node:crypto';
import { putEventsRequests } from './access/requests';
import type { StateMachineAccess } from './access/state-machine-access';
import type { LoadedAssembly } from './assembly';
import type { LambdaRuntime } from './lambda-runtime';
import type { AwsStandIn } from './stand-in/aws-stand-in';
import { DataLimitExceeded, MAX_PAYLOAD_BYTES, payloadBytes } from './limits';
import { mapStartHandler, type MapStartStep } from './map-children';
import type { ProgressOrder } from './progress-order';
import { writeMapResults, type EmulatedResultWriter } from './result-writer';
import type { CapturedEvent } from './run-types';
import type { SimClock } from './sim-clock';
import { listSome } from '../contract/validation';

const PUT_EVENTS = /:states:::events:putEvents/;
const LAMBDA_INVOKE = /:states:::lambda:invoke/;

export type TaskHandler = (input: unknown) => Promise<unknown>;

export interface TaskContext {
  readonly assembly: LoadedAssembly;
  readonly region: string;
  readonly executionName: string;
  readonly clock: SimClock;
  readonly standIn: AwsStandIn;
  /** The functions, each loaded on its first invocation with its own environment and credentials. */
  readonly lambdas: LambdaRuntime;
  /** The state machine's role, which Step Functions' own requests are authorized as. */
  readonly access: StateMachineAccess;
  readonly resultWriterSteps: ReadonlyMap<string, EmulatedResultWriter>;
  readonly mapStartSteps: ReadonlyMap<string, MapStartStep>;
  /** The Map Run's ARN, once its Map state started. */
  readonly mapRunArn: () => string | undefined;
  readonly order: ProgressOrder;
  /** Events as EventBridge received them, appended to. */
  readonly events: CapturedEvent[];
  /** putEvents calls still to refuse. */
  readonly eventBus: { failuresLeft: number };
  readonly counts: { lambdaInvocations: number };
  /** Status checks per export name. */
  readonly polls: Map<string, number>;
  /** The run's exports, in Map item order, as Prepare Run listed them. */
  readonly items: { name: string; type: string }[];
}

/** Every Task state, nested ones included, by name. */
export function taskStates(definition: Record<string, unknown>): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>();
  const visit = (states: Record<string, Record<string, unknown>>) => {
    for (const [name, state] of Object.entries(states)) {
      if (state.Type === 'Task') found.set(name, state);
      const nested = (state.ItemProcessor ?? state.Iterator) as
        { States?: Record<string, Record<string, unknown>> } | undefined;
      if (nested?.States) visit(nested.States);
      for (const branch of (state.Branches as
        { States: Record<string, Record<string, unknown>> }[] | undefined) ?? [])
        visit(branch.States);
    }
  };
  visit(definition.States as Record<string, Record<string, unknown>>);
  return found;
}

/** Holds a task's input and result to 256 KiB: over it, States.DataLimitExceeded, as in AWS. */
function limited(
  stateName: string,
  state: Record<string, unknown>,
  handler: TaskHandler,
  checkInput: boolean,
): TaskHandler {
  // States.ALL neither retries nor catches it; only a retrier or catcher naming it does.
  const named = JSON.stringify([state.Retry ?? [], state.Catch ?? []]).includes('States.DataLimitExceeded');
  return async (input) => {
    const inBytes = checkInput ? payloadBytes(input) : 0;
    if (inBytes > MAX_PAYLOAD_BYTES) throw new DataLimitExceeded(stateName, 'input', inBytes, named);
    const result = await handler(input);
    const outBytes = payloadBytes(result);
    if (outBytes > MAX_PAYLOAD_BYTES) throw new DataLimitExceeded(stateName, 'result', outBytes, named);
    return result;
  };
}

export function buildTaskHandlers(
  runnable: Record<string, unknown>,
  ctx: TaskContext,
): Record<string, TaskHandler> {
  const handlers: Record<string, TaskHandler> = {};
  for (const [stateName, state] of taskStates(runnable)) {
    const resource = String(state.Resource);
    const writer = ctx.resultWriterSteps.get(stateName);
    const mapStart = ctx.mapStartSteps.get(stateName);
    let handler: TaskHandler;
    if (writer) handler = resultWriterHandler(writer, ctx);
    else if (mapStart) handler = mapStartHandler(mapStart, ctx.access, ctx.clock);
    else if (PUT_EVENTS.test(resource)) handler = putEventsHandler(stateName, ctx);
    else if (LAMBDA_INVOKE.test(resource)) handler = lambdaHandler(stateName, state, ctx);
    else throw new Error(`State ${stateName} uses ${resource}, which the local run does not support`);
    // The ResultWriter step's input holds the Map's results inline, which AWS never puts in a state.
    handlers[stateName] = limited(stateName, state, handler, !writer);
  }
  return handlers;
}

/**
 * The ResultWriter writes the Map's result files as the state machine's role.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html#resultwriter-iam-policies
 */
function resultWriterHandler(writer: EmulatedResultWriter, ctx: TaskContext): TaskHandler {
  return async (input) => {
    ctx.clock.taskStarted();
    try {
      return await writeMapResults(writer, input as Record<string, unknown>, {
        stateMachineArn: ctx.assembly.stateMachineArn,
        mapRunArn: ctx.mapRunArn(),
        executionName: ctx.executionName,
        startedAt: new Date(ctx.clock.startMs).toISOString(),
        stoppedAt: new Date().toISOString(),
        putObject: async (bucket, key, content) => {
          await ctx.access.require('resultWriter', [
            { action: 's3:PutObject', resource: `arn:aws:s3:::${bucket}/${key}` },
          ]);
          ctx.standIn.putObject(bucket, key, content);
        },
      });
    } finally {
      ctx.clock.taskEnded();
    }
  };
}

/**
 * EventBridge taking entries: those of a putEvents state, or of a PutEvents call (whose Detail is JSON
 * text). It refuses them all while an outage lasts or when one breaks EventBridge's rules (detail-type
 * over 128 characters, an "aws." source, a detail over 256 KiB). Returns why it refused, or undefined.
 */
export function acceptEvents(
  entries: Record<string, unknown>[],
  ctx: Pick<TaskContext, 'events' | 'eventBus' | 'clock' | 'region'> & { readonly account: string },
  say: (text: string, exportName?: string) => void,
): string | undefined {
  if (ctx.eventBus.failuresLeft > 0) {
    ctx.eventBus.failuresLeft--;
    return 'InternalFailure: EventBridge refused the entries';
  }
  const parsed = entries.map((entry) => ({
    entry,
    detail: (typeof entry.Detail === 'string' ? JSON.parse(entry.Detail) : entry.Detail) as Record<
      string,
      unknown
    >,
  }));
  for (const { entry, detail } of parsed) {
    const detailType = String(entry.DetailType);
    if (
      detailType.length > 128 ||
      String(entry.Source).startsWith('aws.') ||
      payloadBytes(detail) > MAX_PAYLOAD_BYTES
    )
      return `InvalidArgument: EventBridge refused the entry ${detailType}`;
  }
  for (const { entry, detail } of parsed) {
    const detailType = String(entry.DetailType);
    ctx.events.push({
      simSeconds: ctx.clock.elapsedSeconds,
      eventBusName: String(entry.EventBusName ?? 'default'),
      event: {
        version: '0',
        id: randomUUID(),
        'detail-type': detailType,
        source: String(entry.Source),
        account: ctx.account,
        time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: ctx.region,
        resources: [],
        detail,
      },
    });
    const status = detail.outcome ?? detail.status;
    say(`event "${detailType}"${status ? ` (${String(status)})` : ''}`, detail.exportName as string);
  }
  return undefined;
}

/** EventBridge's answer to a PutEvents call (Summarize Run's), as acceptEvents decides. */
export function answerPutEvents(
  entries: Record<string, unknown>[],
  ctx: Parameters<typeof acceptEvents>[1],
  say: Parameters<typeof acceptEvents>[2],
) {
  const refusal = acceptEvents(entries, ctx, say);
  // As PutEvents answers: the code apart from the message ("InternalFailure", "EventBridge refused ...").
  const [code, ...message] = refusal?.split(': ') ?? [];
  return {
    FailedEntryCount: refusal ? entries.length : 0,
    Entries: entries.map((_, i) =>
      refusal
        ? { ErrorCode: code, ErrorMessage: message.join(': ') }
        : { EventId: `local-${ctx.events.length}-${i}` },
    ),
  };
}

function putEventsHandler(stateName: string, ctx: TaskContext): TaskHandler {
  return async (input) => {
    const entries = (input as { Entries: Record<string, unknown>[] }).Entries;
    const exportName = (entries[0]?.Detail as { exportName?: string } | undefined)?.exportName;
    const visit = ctx.order.taskStarted(stateName, exportName);
    const say = (text: string, name = exportName) =>
      ctx.order.taskLine(stateName, visit, { simSeconds: ctx.clock.elapsedSeconds, exportName: name, text });
    let failed = true;
    ctx.clock.taskStarted();
    try {
      // Step Functions puts the events as the state machine's role.
      await ctx.access.require('events', putEventsRequests(entries, ctx.assembly));
      const refusal = acceptEvents(entries, { ...ctx, account: ctx.assembly.account }, say);
      if (refusal) {
        say(`${stateName}: EventBridge.FailedEntry (${refusal})`);
        throw Object.assign(new Error(refusal), { name: 'EventBridge.FailedEntry' });
      }
      failed = false;
      return {
        Entries: entries.map((_, i) => ({ EventId: `local-${ctx.events.length}-${i}` })),
        FailedEntryCount: 0,
      };
    } catch (err) {
      if (failed && (err as Error).name !== 'EventBridge.FailedEntry')
        say(`${stateName}: ${(err as Error).name}: ${(err as Error).message}`);
      throw err;
    } finally {
      ctx.clock.taskEnded();
      ctx.order.taskEnded(stateName, exportName, failed);
    }
  };
}

function lambdaHandler(stateName: string, state: Record<string, unknown>, ctx: TaskContext): TaskHandler {
  const params = state.Parameters as { FunctionName: string };
  const fn = [...ctx.assembly.functions.values()].find((f) => f.arn === params.FunctionName);
  if (!fn)
    throw new Error(
      `State ${stateName} invokes ${params.FunctionName}, which is not a function of the stack`,
    );
  const lambda = ctx.lambdas.get(fn);
  return async (input) => {
    const request = input as { Payload: unknown };
    // Lambda passes JSON, never object references.
    const payload = JSON.parse(JSON.stringify(request.Payload ?? {})) as { export?: { name?: string } };
    const exportName = payload.export?.name;
    const visit = ctx.order.taskStarted(stateName, exportName);
    const say = (text: string) =>
      ctx.order.taskLine(stateName, visit, { simSeconds: ctx.clock.elapsedSeconds, exportName, text });
    ctx.counts.lambdaInvocations++;
    ctx.clock.taskStarted();
    let failed = true;
    try {
      // Step Functions invokes the function as the state machine's role; a denial is Step Functions' error,
      // not the function's.
      await ctx.access
        .require('lambda', [{ action: 'lambda:InvokeFunction', resource: params.FunctionName }])
        .catch((err: Error) => {
          say(`${stateName}: ${err.name}: ${err.message}`);
          throw Object.assign(err, { integration: true });
        });
      const result = await lambda.invoke(payload);
      const text = describeTask(stateName, result, exportName, ctx);
      if (text) say(text);
      failed = false;
      return {
        StatusCode: 200,
        ExecutedVersion: '$LATEST',
        Payload: JSON.parse(JSON.stringify(result ?? null)),
      };
    } catch (err) {
      const e = err as Error & { integration?: boolean };
      if (e.integration) throw e;
      say(`${stateName}: ${e.name}: ${e.message}`);
      // As in AWS: the error name is the errorType, the cause is Lambda's error JSON.
      throw Object.assign(
        new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] })),
        {
          name: e.name,
        },
      );
    } finally {
      ctx.order.taskEnded(stateName, exportName, failed);
      ctx.clock.taskEnded();
    }
  };
}

/** What a task did, in a line for a person; records checks and the run's exports on the way. */
function describeTask(stateName: string, result: unknown, exportName: string | undefined, ctx: TaskContext) {
  const r = result as {
    tracking?: {
      polls: number;
      serviceStatus?: string;
      waitSeconds: number;
      outcome: string;
      adopted?: boolean;
    };
    exports?: { name: string; type: string }[];
  };
  if (stateName.startsWith('Get ') && r.tracking) {
    ctx.polls.set(exportName ?? '', r.tracking.polls);
    const next =
      r.tracking.outcome === 'RUNNING'
        ? `, next check in ${r.tracking.waitSeconds} s`
        : ` -> ${r.tracking.outcome}`;
    return `check ${r.tracking.polls}: ${r.tracking.serviceStatus}${next}`;
  }
  if (stateName.startsWith('Start ') && r.tracking) {
    return `${r.tracking.adopted ? 'adopted the job started earlier' : 'job started'}, first check in ${r.tracking.waitSeconds} s`;
  }
  if (stateName === 'Prepare Run' && r.exports) {
    ctx.items.splice(0, ctx.items.length, ...r.exports.map((e) => ({ name: e.name, type: e.type })));
    return `run prepared: ${r.exports.length} export(s): ${listSome(r.exports.map((e) => e.name))}`;
  }
  return undefined;
}
