/**
 * Runs the synthesized state machine on aws-local-stepfunctions with the bundled Lambda code from the
 * cloud assembly, the handlers' real SDK clients pointed at the local AWS stand-in, putEvents captured,
 * and Wait states on a simulated clock.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { loadAssembly, LOCAL_ACCOUNT, type LocalFunction } from './assembly';
import { AwsStandIn, type CallRecord, type FaultRule, type JobFate, type World } from './aws-stand-in';
import { withResultWriterSteps, writeMapResults } from './result-writer';
import { listSome } from '../lambda/shared/validation';
import { SimClock } from './sim-clock';

export interface LocalRunOptions {
  /** The cloud assembly (`cdk.out`) to run. */
  readonly assemblyDir: string;
  /** The execution input, as an operator would paste it in the console. */
  readonly input: unknown;
  readonly executionName?: string;
  /** Simulated start of the execution. @default now */
  readonly startTime?: Date;
  readonly region?: string;
  readonly world: World;
  readonly fates?: Readonly<Record<string, JobFate>>;
  readonly faults?: readonly FaultRule[];
  /** putEvents calls that fail before EventBridge accepts events again. */
  readonly eventBusFailures?: number;
  /** Folder for the exported files (`s3/<bucket>/<key>`). */
  readonly outDir: string;
  /** Called for each step worth showing a person. */
  readonly onProgress?: (line: ProgressLine) => void;
  /** When the execution fails in its Map state, redrive it once, as from the console. @default false */
  readonly redrive?: boolean;
  /** Powertools log level for the handlers. @default 'SILENT' */
  readonly handlerLogLevel?: string;
}

export interface ProgressLine {
  readonly simSeconds: number;
  readonly exportName?: string;
  readonly text: string;
  /** 'state' for a state entered; otherwise what a task, check or event did. */
  readonly kind?: 'state';
}

/** An event as it would reach EventBridge (the envelope rules match on), and where it went. */
export interface CapturedEvent {
  readonly simSeconds: number;
  readonly eventBusName: string;
  readonly event: {
    readonly version: '0';
    readonly id: string;
    readonly 'detail-type': string;
    readonly source: string;
    readonly account: string;
    readonly time: string;
    readonly region: string;
    readonly resources: string[];
    readonly detail: Record<string, unknown>;
  };
}

export interface ExportReport {
  readonly name: string;
  readonly type: string;
  readonly outcome?: string;
  readonly polls: number;
  readonly simulatedSeconds?: number;
  readonly outputS3Path?: string;
  readonly error?: string;
  readonly events: number;
}

export interface LocalRunResult {
  readonly executionName: string;
  readonly executionArn: string;
  readonly status: 'SUCCEEDED' | 'FAILED';
  readonly error?: { readonly error: string; readonly cause: string };
  /** The top-level state the execution failed in: where a redrive would resume. */
  readonly failedState?: string;
  /** With `redrive`: how the first attempt ended, before the redrive. */
  readonly firstAttempt?: {
    readonly failedState: string;
    readonly error: { readonly error: string; readonly cause: string };
    readonly simulatedSeconds: number;
  };
  readonly output?: unknown;
  readonly simulatedSeconds: number;
  readonly events: CapturedEvent[];
  readonly exports: ExportReport[];
  readonly counts: {
    readonly stateTransitions: number;
    readonly lambdaInvocations: number;
    readonly retries: number;
    /** Estimated Step Functions history events, all executions together (see HISTORY_EVENTS_BY_STATE). */
    readonly historyEvents: number;
    /** The largest input any state received, in bytes (Step Functions' limit is 256 KiB). */
    readonly largestStateInputBytes: number;
    /** Estimated history events of the run's own execution, and of the largest export's child execution. */
    readonly runHistoryEvents: number;
    readonly largestExportHistoryEvents: number;
    readonly glueTaskRunsStarted: number;
    readonly personalizeJobsCreated: number;
  };
  readonly calls: CallRecord[];
  /** Each Glue task run and where it ends up (a cancelled one STOPPED). */
  readonly glueTaskRuns: { transformId: string; taskRunId: string; status: string }[];
  readonly filesWritten: string[];
}

function describeFailure(err: unknown): { error: string; cause: string } {
  const cause = (err as { cause?: StatesError & Error }).cause;
  const e = (cause ?? err) as StatesError & Error;
  return { error: e.name ?? e.Error ?? 'Error', cause: e.message ?? e.Cause ?? String(e) };
}

interface StatesError {
  Error?: string;
  Cause?: string;
}

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
const HISTORY_EVENTS_PER_RETRY = 3;
const HISTORY_EVENTS_PER_EXECUTION = 2;

const PUT_EVENTS = /:states:::events:putEvents/;
const LAMBDA_INVOKE = /:states:::lambda:invoke/;

/** Every Task state, nested ones included, by name. */
function taskStates(definition: Record<string, unknown>): Map<string, Record<string, unknown>> {
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

/** Loads a bundled handler afresh, so each run gets cold clients that read this run's endpoints. */
function loadHandler(fn: LocalFunction): (event: unknown, context: unknown) => Promise<unknown> {
  const req = createRequire(fn.codeFile);
  for (const key of Object.keys(req.cache))
    if (key.startsWith(path.dirname(fn.codeFile))) delete req.cache[key];
  const mod = req(fn.codeFile) as Record<string, unknown>;
  const handler = mod[fn.handlerExport];
  if (typeof handler !== 'function')
    throw new Error(`${fn.codeFile} exports no function ${fn.handlerExport}`);
  return handler as (event: unknown, context: unknown) => Promise<unknown>;
}

export async function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const region = options.region ?? 'us-east-1';
  const assembly = loadAssembly(options.assemblyDir, region);
  // The deployed definition, with local steps where AWS would write a Map's results to S3.
  const { definition: runnable, steps: resultWriterSteps } = withResultWriterSteps(assembly.definition);
  const clock = new SimClock((options.startTime ?? new Date()).getTime());
  const executionName =
    options.executionName ??
    `local-${new Date(clock.startMs).toISOString().replace(/[-:]/g, '').slice(0, 15)}`;
  const executionArn =
    assembly.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${executionName}`;
  fs.mkdirSync(options.outDir, { recursive: true });

  /**
   * EventBridge: takes the entries of a putEvents state or of a PutEvents call (whose Detail is JSON
   * text), or refuses them all while an outage lasts or when one breaks EventBridge's rules. Returns why
   * it refused, or undefined when it took them.
   */
  const deliverEvents = (entries: Record<string, unknown>[]): string | undefined => {
    if (eventBusFailuresLeft > 0) {
      eventBusFailuresLeft--;
      return 'InternalFailure';
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
        Buffer.byteLength(JSON.stringify(detail)) > 256 * 1024
      )
        return `InvalidArgument: the entry ${detailType} breaks EventBridge's rules`;
    }
    for (const { entry, detail } of parsed) {
      const detailType = String(entry.DetailType);
      events.push({
        simSeconds: clock.elapsedSeconds,
        eventBusName: String(entry.EventBusName ?? 'default'),
        event: {
          version: '0',
          id: randomUUID(),
          'detail-type': detailType,
          source: String(entry.Source),
          account: LOCAL_ACCOUNT,
          time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region,
          resources: [],
          detail,
        },
      });
      progress(
        `event "${detailType}"${detail.outcome ? ` (${detail.outcome})` : detail.status ? ` (${detail.status})` : ''}`,
        detail.exportName as string | undefined,
      );
    }
    return undefined;
  };

  const standIn = new AwsStandIn({
    onPutEvents: (entries) => {
      const refusal = deliverEvents(entries);
      return {
        FailedEntryCount: refusal ? entries.length : 0,
        Entries: entries.map((_, i) =>
          refusal
            ? { ErrorCode: refusal.split(':')[0], ErrorMessage: refusal }
            : { EventId: `local-${events.length}-${i}` },
        ),
      };
    },
    self: {
      stateMachineArn: assembly.stateMachineArn,
      name: executionName,
      input: options.input,
      startMs: clock.startMs,
    },
    world: options.world,
    fates: options.fates,
    faults: options.faults,
    outDir: options.outDir,
    onActivity: (n) => clock.requestsChanged(n),
  });
  const endpoint = await standIn.start();
  const savedEnv = { ...process.env };
  const events: CapturedEvent[] = [];
  let eventBusFailuresLeft = options.eventBusFailures ?? 0;
  const progress = (text: string, exportName?: string) =>
    options.onProgress?.({ simSeconds: clock.elapsedSeconds, exportName, text });
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
  let failedState: string | undefined;
  const polls = new Map<string, number>();
  /** Export names by Map item index, to label the child executions' states. */
  const itemNames: string[] = [];

  try {
    Object.assign(process.env, {
      AWS_REGION: region,
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      AWS_ENDPOINT_URL_GLUE: endpoint,
      AWS_ENDPOINT_URL_PERSONALIZE: endpoint,
      AWS_ENDPOINT_URL_SFN: endpoint,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: endpoint,
      // No shared config files: nothing on this machine may change how the handlers behave.
      AWS_CONFIG_FILE: path.join(options.outDir, '.no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: path.join(options.outDir, '.no-aws-credentials'),
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      POWERTOOLS_LOG_LEVEL: options.handlerLogLevel ?? 'SILENT',
      POWERTOOLS_DEV: 'true',
      // The local Node.js may be older than Lambda's; the SDK's notice about it is not the run's business.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });

    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, state] of taskStates(runnable)) {
      const resource = String(state.Resource);
      const writer = resultWriterSteps.get(stateName);
      if (writer) {
        handlers[stateName] = async (input) =>
          writeMapResults(writer, input as Record<string, unknown>, {
            stateMachineArn: assembly.stateMachineArn,
            executionName,
            startedAt: new Date(clock.startMs).toISOString(),
            stoppedAt: new Date().toISOString(),
            putObject: (bucket, key, content) => standIn.putObject(bucket, key, content),
          });
      } else if (PUT_EVENTS.test(resource)) {
        handlers[stateName] = async (input) => {
          const entries = (input as { Entries: Record<string, unknown>[] }).Entries;
          const refusal = deliverEvents(entries);
          if (refusal) {
            progress(`${stateName}: EventBridge.FailedEntry (${refusal})`);
            throw Object.assign(new Error(`EventBridge refused the entries: ${refusal}`), {
              name: 'EventBridge.FailedEntry',
            });
          }
          return {
            Entries: entries.map((_, i) => ({ EventId: `local-${events.length}-${i}` })),
            FailedEntryCount: 0,
          };
        };
      } else if (LAMBDA_INVOKE.test(resource)) {
        const params = state.Parameters as { FunctionName: string };
        const fn = [...assembly.functions.values()].find((f) => f.arn === params.FunctionName);
        if (!fn)
          throw new Error(
            `State ${stateName} invokes ${params.FunctionName}, which is not a function of the stack`,
          );
        Object.assign(process.env, fn.environment);
        const handler = loadHandler(fn);
        handlers[stateName] = async (input) => {
          const request = input as { Payload: unknown };
          // Lambda passes JSON, never object references.
          const payload = JSON.parse(JSON.stringify(request.Payload ?? {})) as { export?: { name?: string } };
          const exportName = payload.export?.name;
          counts.lambdaInvocations++;
          clock.taskStarted();
          try {
            const result = await handler(payload, {
              functionName: fn.logicalId,
              functionVersion: '$LATEST',
              invokedFunctionArn: fn.arn,
              memoryLimitInMB: '256',
              awsRequestId: `local-${counts.lambdaInvocations}`,
              getRemainingTimeInMillis: () => fn.timeoutSeconds * 1000,
            });
            reportTask(stateName, result, exportName);
            return {
              StatusCode: 200,
              ExecutedVersion: '$LATEST',
              Payload: JSON.parse(JSON.stringify(result ?? null)),
            };
          } catch (err) {
            const e = err as Error;
            progress(`${stateName}: ${e.name}: ${e.message}`, exportName);
            // As in AWS: the error name is the errorType, the cause is Lambda's error JSON.
            throw Object.assign(
              new Error(JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: [] })),
              { name: e.name },
            );
          } finally {
            clock.taskEnded();
          }
        };
      } else {
        throw new Error(`State ${stateName} uses ${resource}, which the local run does not support`);
      }
    }

    function reportTask(stateName: string, result: unknown, exportName?: string) {
      const r = result as {
        tracking?: {
          polls: number;
          serviceStatus?: string;
          waitSeconds: number;
          outcome: string;
          adopted?: boolean;
        };
        exports?: { name: string }[];
      };
      if (stateName.startsWith('Get ') && r.tracking) {
        polls.set(exportName ?? '', r.tracking.polls);
        const next =
          r.tracking.outcome === 'RUNNING'
            ? `, next check in ${r.tracking.waitSeconds} s`
            : ` -> ${r.tracking.outcome}`;
        progress(`check ${r.tracking.polls}: ${r.tracking.serviceStatus}${next}`, exportName);
      } else if (stateName.startsWith('Start ') && r.tracking) {
        progress(
          `${r.tracking.adopted ? 'adopted the job started earlier' : 'job started'}, first check in ${r.tracking.waitSeconds} s`,
          exportName,
        );
      } else if (stateName === 'Prepare Run' && r.exports) {
        itemNames.splice(0, itemNames.length, ...r.exports.map((e) => e.name));
        progress(`run prepared: ${r.exports.length} export(s): ${listSome(r.exports.map((e) => e.name))}`);
      }
    }

    clock.install();
    const context = {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date().toISOString(),
        RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/local`,
      },
    };
    /** Per Map item: the last state its child execution entered (where a redrive resumes it), or its output. */
    const lastState = new Map<number, { name: string; input: unknown }>();
    const itemOutput = new Map<number, unknown>();
    /** The input each state of the run itself last entered with (where a redrive resumes). */
    const runStateInputs = new Map<string, unknown>();
    let mapInput: unknown;

    /** Runs a definition (or a part of it, from `startAt`) to its end, tracking what it does. */
    const execute = async (
      definition: Record<string, unknown>,
      input: unknown,
      item?: number,
      drive = true,
    ) => {
      failedState = undefined;
      // The deployed definition is validated; the parts a redrive runs are pieces of it, as the library
      // itself runs Map item processors.
      const whole = definition === runnable;
      const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
        validationOptions: whole ? { checkArn: false } : { noValidate: true },
      });
      const execution = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        context,
      });
      const drained = (async () => {
        for await (const ev of execution.eventLogs) {
          const index =
            ev.type === 'StateEntered' ||
            ev.type === 'StateExited' ||
            ev.type === 'StateFailed' ||
            ev.type === 'StateRetried'
              ? (ev.index ?? item)
              : undefined;
          if (ev.type === 'StateEntered' && resultWriterSteps.has(ev.state.name)) continue;
          if (ev.type === 'StateEntered') {
            counts.stateTransitions++;
            counts.largestStateInputBytes = Math.max(
              counts.largestStateInputBytes,
              Buffer.byteLength(JSON.stringify(ev.state.input) ?? ''),
            );
            addHistory(index, HISTORY_EVENTS_BY_STATE[ev.state.type] ?? 2);
            if (index !== undefined) lastState.set(index, { name: ev.state.name, input: ev.state.input });
            else runStateInputs.set(ev.state.name, ev.state.input);
            if (ev.state.type === 'Map' && index === undefined) mapInput = ev.state.input;
            options.onProgress?.({
              simSeconds: Math.round((ev.timestamp - clock.startMs) / 1000),
              exportName: index === undefined ? undefined : itemNames[index],
              text: `> ${ev.state.name}`,
              kind: 'state',
            });
          }
          if (ev.type === 'StateRetried') {
            counts.retries++;
            addHistory(index, HISTORY_EVENTS_PER_RETRY);
          }
          if (ev.type === 'MapIterationStarted') addHistory(ev.index, HISTORY_EVENTS_PER_EXECUTION);
          if (ev.type === 'MapIterationSucceeded')
            itemOutput.set(ev.index, (ev as unknown as { output: unknown }).output);
          if (ev.type === 'StateFailed' && ev.index === undefined && item === undefined)
            failedState = ev.state.name;
        }
      })();
      const settled = execution.result.then(
        (output) => ({ ok: true as const, output }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      // One driver moves the clock: executions run side by side share it.
      if (drive) await clock.drive(settled);
      await settled;
      await drained.catch(() => undefined);
      return settled;
    };

    /**
     * Redrive, as the console does for an execution that failed in its Distributed Map: child executions
     * that succeeded keep their output; the others restart from the state they failed or were stopped in,
     * with that state's input; then the run goes on after the Map with all the outputs.
     */
    const redriveMap = async (map: Record<string, unknown>) => {
      const processor = map.ItemProcessor as Record<string, unknown>;
      const items = (mapInput as Record<string, unknown[]>)[String(map.ItemsPath).replace(/^\$\./, '')];
      const children = Promise.all(
        items.map(async (_item, i) => {
          if (itemOutput.has(i)) return itemOutput.get(i);
          const resume = lastState.get(i);
          if (!resume) throw new Error(`cannot redrive item ${i}: it never started`);
          const child = await execute({ ...processor, StartAt: resume.name }, resume.input, i, false);
          if (!child.ok) throw child.err;
          return child.output;
        }),
      ).then(
        (results) => ({ ok: true as const, results }),
        (err: unknown) => ({ ok: false as const, err }),
      );
      await clock.drive(children);
      const outputs = await children;
      if (!outputs.ok) return outputs;
      const resultKey = String(map.ResultPath).replace(/^\$\./, '');
      const rest = { ...runnable, StartAt: String(map.Next) };
      return execute(rest, { ...(mapInput as object), [resultKey]: outputs.results });
    };

    progress(`execution ${executionName} started`);
    let outcome = await execute(runnable, options.input);
    let firstAttempt: LocalRunResult['firstAttempt'];
    const definitionStates = runnable.States as Record<string, Record<string, unknown>>;
    const failedMap =
      failedState && definitionStates[failedState]?.Type === 'Map'
        ? definitionStates[failedState]
        : undefined;
    if (!outcome.ok && options.redrive && failedState) {
      firstAttempt = {
        failedState,
        error: describeFailure(outcome.err),
        simulatedSeconds: clock.elapsedSeconds,
      };
      if (failedMap) {
        progress(
          `redrive from "${failedState}": child executions that did not succeed resume where they stopped`,
        );
        outcome = await redriveMap(failedMap);
      } else {
        // Any other state of the run: it runs again with the input it failed with, then the run goes on.
        progress(`redrive from "${failedState}": it runs again with the input it failed with`);
        outcome = await execute({ ...runnable, StartAt: failedState }, runStateInputs.get(failedState));
      }
    }
    const simulatedSeconds = clock.elapsedSeconds;
    clock.uninstall();

    const error = outcome.ok ? undefined : describeFailure(outcome.err);
    progress(`execution ${outcome.ok ? 'SUCCEEDED' : `FAILED (${error?.error}: ${error?.cause})`}`);

    const exportEvents = events.map((e) => e.event.detail).filter((d) => typeof d.exportName === 'string');
    const names = [...new Set(exportEvents.map((d) => d.exportName as string))];
    const reports: ExportReport[] = names.map((name) => {
      const mine = exportEvents.filter((d) => d.exportName === name);
      const last = mine[mine.length - 1];
      return {
        name,
        type: String(last.exportType),
        outcome: last.outcome as string | undefined,
        polls: Number(last.pollCount ?? polls.get(name) ?? 0),
        simulatedSeconds: last.durationSeconds as number | undefined,
        outputS3Path: last.outputS3Path as string | undefined,
        error: (last.error as { message?: string } | undefined)?.message,
        events: mine.length,
      };
    });
    await standIn.stop();
    return {
      executionName,
      executionArn,
      status: outcome.ok ? 'SUCCEEDED' : 'FAILED',
      ...(error ? { error, failedState } : {}),
      ...(firstAttempt ? { firstAttempt } : {}),
      ...(outcome.ok ? { output: outcome.output } : {}),
      simulatedSeconds,
      events,
      exports: reports,
      counts: {
        ...counts,
        runHistoryEvents: historyByExecution.get(-1) ?? 0,
        largestExportHistoryEvents: Math.max(
          0,
          ...[...historyByExecution].filter(([key]) => key >= 0).map(([, events]) => events),
        ),
        glueTaskRunsStarted: standIn.glueRuns.length,
        personalizeJobsCreated: standIn.personalizeJobs.length,
      },
      calls: standIn.calls,
      glueTaskRuns: standIn.glueRunsSettled(),
      filesWritten: standIn.filesWritten.map((f) => path.relative(options.outDir, f)),
    };
  } finally {
    clock.uninstall();
    await standIn.stop().catch(() => undefined);
    for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
    Object.assign(process.env, savedEnv);
  }
}
