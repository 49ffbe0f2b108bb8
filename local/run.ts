/**
 * Runs the synthesized state machine on aws-local-stepfunctions with the bundled Lambda code from the
 * cloud assembly, the handlers' real SDK clients pointed at the local AWS stand-in, putEvents captured,
 * and Wait states on a simulated clock.
 */
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import * as path from 'node:path';
import { RunAccess } from './access/run-access';
import { LOCAL_ACCOUNT, loadAssembly } from './assembly';
import { runEnvironment } from './lambda-runtime';
import { authorizeChildRedrives, ownerOfLocalStep, withLocalSteps } from './map-children';
import { AwsStandIn } from './stand-in/aws-stand-in';
import { DataLimitExceeded, MAX_PAYLOAD_BYTES, payloadBytes, refuseStart } from './limits';
import { ProgressOrder } from './progress-order';
import { claimRunFolder } from './run-folder';
import { childInput } from './result-writer';
import {
  exportReports,
  HISTORY_EVENTS_BY_STATE,
  HISTORY_EVENTS_PER_EXECUTION,
  HISTORY_EVENTS_PER_RETRY,
  runCounter,
} from './run-counts';
import type { CapturedEvent, CleanupResult, LocalRunOptions, LocalRunResult } from './run-types';
import { SimClock } from './sim-clock';
import { answerPutEvents, buildTaskHandlers } from './task-handlers';
import { endRun } from './ended-run';
import { ExecutionFeed, type LoggedEvent } from './execution-feed';
import {
  defaultExecutionName,
  describeFailure,
  finalStatus,
  stoppedError,
  stoppedStatusText,
  whyNoRedrive,
} from './run-outcome';

export { defaultExecutionName } from './run-outcome';

export type { CapturedEvent, ExportReport, LocalRunOptions, LocalRunResult, ProgressLine } from './run-types';
export { HISTORY_EVENTS_BY_STATE } from './run-counts';

/** The run this process is executing: runs share the clock (Date and timers), so they go one at a time. */
let running: Promise<unknown> = Promise.resolve();

/**
 * Runs the execution. Runs asked for in one process go one after another (each installs the simulated
 * clock); separate processes run side by side.
 */
export function runLocal(options: LocalRunOptions): Promise<LocalRunResult> {
  const run = running.then(
    () => runAlone(options),
    () => runAlone(options),
  );
  running = run.catch(() => undefined);
  return run;
}

async function runAlone(options: LocalRunOptions): Promise<LocalRunResult> {
  const region = options.region ?? 'us-east-1';
  const assembly = loadAssembly(options.assemblyDir, region, options.account ?? LOCAL_ACCOUNT);
  // The deployed definition, with local steps where AWS would start a Distributed Map's child executions
  // and write its results to S3.
  const {
    definition: runnable,
    resultWriterSteps,
    mapStartSteps,
    isLocalStep,
  } = withLocalSteps(assembly.definition);
  const clock = new SimClock((options.startTime ?? new Date()).getTime());
  const executionName = options.executionName ?? defaultExecutionName(clock.startMs);
  refuseStart(executionName, options.input);
  const executionArn =
    assembly.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${executionName}`;
  // Every request of the run is authorized from the template's policies, as AWS would.
  const access = new RunAccess(assembly, executionName, options.world.serviceControlPolicies);
  // Each execution writes under its own folder, which no other run shares while this one goes.
  const folder = options.runFolder ?? claimRunFolder(options.outDir, executionName);
  const runDir = folder.dir;

  const execution = {
    stateMachineArn: assembly.stateMachineArn,
    name: executionName,
    input: options.input,
    startMs: clock.startMs,
  };
  const events: CapturedEvent[] = [];
  const eventBus = { failuresLeft: options.eventBusFailures ?? 0 };
  const standIn = new AwsStandIn({
    access: access.standIn,
    // Summarize Run delivering the events EventBridge refused during the run (its own SDK client).
    onPutEvents: (entries) =>
      answerPutEvents(
        entries,
        { events, eventBus, clock, region, account: assembly.account },
        (text, exportName) => order.line({ simSeconds: clock.elapsedSeconds, exportName, text }),
      ),
    self: execution,
    world: options.world,
    fates: options.fates,
    faults: options.faults,
    outDir: runDir,
    onActivity: (n) => clock.requestsChanged(n),
  });
  const endpoint = await standIn.start().catch((err: unknown) => {
    if (!options.runFolder) folder.release();
    throw err;
  });
  // The run as Step Functions records it: what the clean-up of an ended run reads back.
  const feed = new ExecutionFeed(standIn.executions, { ...execution, executionArn });
  /** Set when the run is stopped (StopExecution, or its timeout): the state it was in. */
  let stoppedIn: string | undefined;
  /** From the stop until a redrive: the library's events are not the run's any more. */
  let ignoringEvents = false;
  const cleanups: CleanupResult[] = [];
  const order = new ProgressOrder((line) => options.onProgress?.(line));
  const progress = (text: string) => order.line({ simSeconds: clock.elapsedSeconds, text });
  const counter = runCounter();
  const { counts, addHistory } = counter;
  let failedState: string | undefined;
  const polls = new Map<string, number>();
  /** The run's exports by Map item index, to label the child executions' states. */
  const items: { name: string; type: string }[] = [];

  try {
    await access.executionStarted();
    const lambdas = access.lambdaRuntime(
      runEnvironment({ region, endpoint, runDir, logLevel: options.handlerLogLevel ?? 'SILENT' }),
    );

    const handlers = buildTaskHandlers(runnable, {
      assembly,
      region,
      executionName,
      clock,
      standIn,
      lambdas,
      access: access.stateMachine,
      resultWriterSteps,
      mapStartSteps,
      mapRunArn: () => feed.mapRunArn,
      order,
      events,
      eventBus,
      counts,
      polls,
      items,
    });

    clock.install();
    const context = {
      Execution: {
        Id: executionArn,
        Name: executionName,
        StartTime: new Date().toISOString(),
        RoleArn: access.model.stateMachine!.roleArn,
      },
    };
    /** Per Map item: the last state its child execution entered (where a redrive resumes it), or its output. */
    const lastState = new Map<number, { name: string; input: unknown }>();
    const itemOutput = new Map<number, unknown>();
    /** The input each state of the run itself last entered with (where a redrive resumes). */
    const runStateInputs = new Map<string, unknown>();
    let mapInput: unknown;
    let mapState: string | undefined;
    /** The state the run itself last entered. */
    let lastRunState: string | undefined;

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
      /** A state whose input is over 256 KiB: AWS fails the execution there (the library does not). */
      let overLimit: { error: DataLimitExceeded; state: string } | undefined;
      /** The last state entered per execution (the run: -1, a child: its index). */
      const previous = new Map<number, string>();
      const drained = (async () => {
        for await (const ev of execution.eventLogs) {
          // After a stop nothing more happens in AWS (the library may still start queued items).
          if (ignoringEvents) continue;
          feed.record(ev as unknown as LoggedEvent, (ev as { index?: number }).index ?? item);
          const index =
            ev.type === 'StateEntered' ||
            ev.type === 'StateExited' ||
            ev.type === 'StateFailed' ||
            ev.type === 'StateRetried'
              ? (ev.index ?? item)
              : undefined;
          if (ev.type === 'StateEntered' && isLocalStep(ev.state.name)) continue;
          if (ev.type === 'StateEntered') {
            const bytes = payloadBytes(ev.state.input);
            counts.stateTransitions++;
            counts.largestStateInputBytes = Math.max(counts.largestStateInputBytes, bytes);
            addHistory(index, HISTORY_EVENTS_BY_STATE[ev.state.type] ?? 2);
            if (index !== undefined) lastState.set(index, { name: ev.state.name, input: ev.state.input });
            else {
              runStateInputs.set(ev.state.name, ev.state.input);
              lastRunState = ev.state.name;
            }
            if (ev.state.type === 'Map' && index === undefined) {
              mapInput = ev.state.input;
              mapState = ev.state.name;
            }
            order.stateEntered(ev.state.name, {
              simSeconds: Math.round((ev.timestamp - clock.startMs) / 1000),
              exportName: index === undefined ? undefined : items[index]?.name,
              text: `> ${ev.state.name}`,
              kind: 'state',
            });
            // The state before it produced that output, and fails there (a first state's input is the
            // execution's, which the run refused before starting).
            const before = previous.get(index ?? -1) ?? ev.state.name;
            previous.set(index ?? -1, ev.state.name);
            if (bytes > MAX_PAYLOAD_BYTES && !overLimit) {
              overLimit = {
                error: new DataLimitExceeded(before, 'output', bytes),
                // A child execution failing fails its Map, where the run stops.
                state: index === undefined || item !== undefined ? before : (mapState ?? before),
              };
              execution.abort();
            }
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
      // Stopped at a simulated time: StopExecution (ABORTED), or the state machine's timeout (TIMED_OUT).
      const stop = whole && options.stop && !stoppedIn ? options.stop : undefined;
      const stopTimer = stop
        ? setTimeout(() => {
            stoppedIn = lastRunState ?? 'Prepare Run';
            ignoringEvents = true;
            feed.stop(stop.status);
            execution.abort();
          }, stop.afterSeconds * 1000)
        : undefined;
      // One driver moves the clock: executions run side by side share it.
      if (drive) await clock.drive(settled);
      clearTimeout(stopTimer);
      await settled;
      await drained.catch(() => undefined);
      if (whole && stoppedIn && ignoringEvents) failedState = stoppedIn;
      if (overLimit) {
        if (item === undefined) failedState = overLimit.state;
        return { ok: false as const, err: overLimit.error as unknown };
      }
      return settled;
    };

    /**
     * Redrive, as the console does for an execution that failed in its Distributed Map: child executions
     * that succeeded keep their output; the others restart from the state they failed or were stopped in,
     * with that state's input; then the run goes on after the Map with all the outputs.
     */
    const redriveMap = async (mapState: string, map: Record<string, unknown>) => {
      const processor = map.ItemProcessor as Record<string, unknown>;
      const mapItems = (mapInput as Record<string, unknown[]>)[String(map.ItemsPath).replace(/^\$\./, '')];
      order.redriveStarted();
      const unsuccessful = mapItems.map((_item, i) => i).filter((i) => !itemOutput.has(i));
      const children = authorizeChildRedrives(access.stateMachine, mapState, executionName, unsuccessful)
        .then(() =>
          Promise.all(
            mapItems.map(async (_item, i) => {
              if (itemOutput.has(i)) return itemOutput.get(i);
              // An item the Map never got to (the run was stopped first) starts now, from the beginning.
              const resume = lastState.get(i) ?? {
                name: String(processor.StartAt),
                input: childInput(
                  map.ItemSelector as Record<string, unknown> | undefined,
                  mapInput,
                  _item,
                  i,
                ),
              };
              feed.redriveChild(i, resume.input);
              const child = await execute({ ...processor, StartAt: resume.name }, resume.input, i, false);
              if (!child.ok) throw child.err;
              return child.output;
            }),
          ),
        )
        .then(
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
    // Step Functions ends the run; the rule on its status change invokes the clean-up (local/ended-run.ts).
    const endContext = {
      assembly,
      ...options,
      region,
      clock,
      say: progress,
      calls: standIn.calls,
      access,
      lambdas,
    };
    const ended = async () => {
      order.flush();
      const cleanup = await endRun(feed, ignoringEvents ? undefined : outcome, endContext);
      if (cleanup) cleanups.push(cleanup);
    };
    if (stoppedIn) progress(`${stoppedStatusText(options.stop!)}: the run stops in state "${stoppedIn}"`);
    await ended();
    let firstAttempt: LocalRunResult['firstAttempt'];
    let redriveSkipped: string | undefined;
    const definitionStates = runnable.States as Record<string, Record<string, unknown>>;
    const failedMap =
      failedState && definitionStates[failedState]?.Type === 'Map'
        ? definitionStates[failedState]
        : undefined;
    // A redrive resumes the execution where it failed: in its export map, the child executions that did
    // not succeed; at any other state of the run (Summarize Run delivering held events, an event step),
    // that state with the input it failed with. A run that reached Run Failed has nothing to resume.
    const redrivable = !outcome.ok && failedState !== undefined && failedState !== 'Run Failed';
    if (options.redrive && redrivable && !outcome.ok) {
      firstAttempt = {
        failedState: ownerOfLocalStep(failedState!),
        error: stoppedIn ? stoppedError(options.stop!, stoppedIn) : describeFailure(outcome.err),
        simulatedSeconds: clock.elapsedSeconds,
      };
      order.flush();
      feed.redrive();
      ignoringEvents = false;
      if (failedMap) {
        progress(
          `redrive from "${failedState}": child executions that did not succeed resume where they stopped`,
        );
        outcome = await redriveMap(failedState!, failedMap);
      } else {
        progress(`redrive from "${failedState}": it runs again with the input it failed with`);
        outcome = await execute({ ...runnable, StartAt: failedState! }, runStateInputs.get(failedState!));
      }
      await ended();
    } else if (options.redrive) {
      redriveSkipped = whyNoRedrive(outcome.ok, failedState);
    }
    const simulatedSeconds = clock.elapsedSeconds;
    // Where each task run ends up, on the simulated clock (after uninstall, Date.now() is real time).
    const glueTaskRuns = standIn.glueRunsSettled();
    clock.uninstall();

    // A run stopped and not redriven ended ABORTED (or TIMED_OUT), not with an error of its own.
    const { status, error } = finalStatus(outcome, !firstAttempt ? stoppedIn : undefined, options.stop);
    order.flush();
    progress(`execution ${outcome.ok ? 'SUCCEEDED' : `${status} (${error?.error}: ${error?.cause})`}`);
    if (redriveSkipped) progress(`no redrive: ${redriveSkipped}`);

    await standIn.stop();
    return {
      executionName,
      executionArn,
      status,
      // A local step fails for the Map it stands for.
      ...(error ? { error, failedState: failedState && ownerOfLocalStep(failedState) } : {}),
      ...(firstAttempt ? { firstAttempt } : {}),
      ...(redriveSkipped ? { redriveSkipped } : {}),
      ...(cleanups.length > 0 ? { cleanups } : {}),
      ...(outcome.ok ? { output: outcome.output } : {}),
      simulatedSeconds,
      runDir,
      events,
      exports: exportReports(items, events, polls, lastState),
      counts: {
        ...counter.result(),
        glueTaskRunsStarted: standIn.glueRuns.length,
        personalizeJobsCreated: standIn.personalizeJobs.length,
      },
      calls: standIn.calls,
      glueTaskRuns,
      filesWritten: standIn.filesWritten.map((f) => path.relative(runDir, f)),
      permissions: access.report(),
    };
  } finally {
    clock.uninstall();
    await standIn.stop().catch(() => undefined);
    if (!options.runFolder) folder.release();
  }
}
