/**
 * The state machine's definition: Prepare Run, a Distributed Map whose child executions each export one
 * item (start, wait for capacity, poll, finalize, emit), and Summarize Run with the run event.
 */
import { Duration } from 'aws-cdk-lib';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import {
  Choice,
  Condition,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  Pass,
  StateMachineType,
  Succeed,
  TaskInput,
  Timeout,
  Wait,
  WaitTime,
  type IChainable,
  type INextable,
  type TaskStateBase,
} from 'aws-cdk-lib/aws-stepfunctions';
import { EventBridgePutEvents, LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { ERROR_NAMES, STATE_NAMES } from '../../contract/names';
import type { PollingSettings } from '../../contract/exports';
import { PrefixResultWriter, RunResultsBucket } from './run-results-bucket';
import type { WorkflowHandlers } from './workflow-functions';

export function buildWorkflowDefinition(
  scope: Construct,
  settings: {
    eventSource: string;
    polling: PollingSettings;
    runTimeoutSeconds: number;
    resultsBucket: IBucket;
  },
  concurrency: { maxConcurrency: number; glue: number; personalize: number },
  eventBus: IEventBus | undefined,
  fns: WorkflowHandlers,
): IChainable {
  const emit = (id: string, comment: string) =>
    new EventBridgePutEvents(scope, id, {
      comment,
      entries: [
        {
          source: settings.eventSource,
          detailType: JsonPath.stringAt('$.event.detailType'),
          detail: TaskInput.fromJsonPathAt('$.event.detail'),
          eventBus,
        },
      ],
      resultPath: JsonPath.DISCARD,
    }).addRetry({
      // About four minutes of a refusing event bus before the state fails (and can be redriven).
      errors: ['States.ALL'],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 8,
      maxDelay: Duration.seconds(60),
      jitterStrategy: JitterType.FULL,
    });

  // One export, in its own child execution.
  const finalize = invoke(
    scope,
    'Finalize Export',
    fns.finalizeExport,
    'Turns the outcome into one terminal event',
  );
  const emitExport = emit(STATE_NAMES.emitExportEvent, 'The one terminal event of this export');
  finalize.next(emitExport).next(new Succeed(scope, 'Export Done', { outputPath: '$.result' }));
  // An event EventBridge still refuses after its retries is held in the export's result, and the child
  // execution succeeds: one export's outage never stops another. Summarize Run delivers held events.
  emitExport.addCatch(
    new Pass(scope, 'Hold Export Event', {
      comment: 'EventBridge refused the event past its retries: Summarize Run delivers it',
      parameters: {
        'name.$': '$.result.name',
        'type.$': '$.result.type',
        'outcome.$': '$.result.outcome',
        'heldEvent.$': '$.event',
        'deliveryError.$': '$.emitError',
      },
    }),
    { errors: ['States.ALL'], resultPath: '$.emitError' },
  );

  const pollLoop = (kind: 'Glue' | 'Personalize', start: IFunction, getStatus: IFunction) => {
    const startTask = invoke(
      scope,
      `Start ${kind} Export`,
      start,
      'Starts the job, or adopts the one an earlier attempt started',
    );
    const wait = new Wait(scope, `Wait For ${kind} Export`, {
      time: WaitTime.secondsPath('$.tracking.waitSeconds'),
    });
    // A start refused because the account's concurrency quota is full waits for a slot and tries again.
    const waitForCapacity = new Wait(scope, `Wait For ${kind} Capacity`, {
      comment: "The account's concurrent job quota is full: try the start again later",
      time: WaitTime.secondsPath('$.capacity.waitSeconds'),
    });
    const started = new Choice(scope, `${kind} Export Started?`)
      .when(Condition.isPresent('$.tracking'), wait)
      .when(Condition.stringEquals('$.capacity.outcome', 'WAITING'), waitForCapacity.next(startTask))
      .otherwise(finalize);
    const check = invoke(
      scope,
      `Get ${kind} Export Status`,
      getStatus,
      'Checks the job and sets the next wait',
    );
    const done = new Choice(scope, `${kind} Export Done?`).when(
      Condition.stringEquals('$.tracking.outcome', 'RUNNING'),
      wait,
    );
    // A redriven run's Glue task run that the clean-up of the stopped run cancelled: start a new one.
    if (kind === 'Glue') done.when(Condition.stringEquals('$.tracking.outcome', 'RESTART'), startTask);
    done.otherwise(finalize);
    for (const task of [startTask, check])
      task.addCatch(finalize, { errors: ['States.ALL'], resultPath: '$.error' });
    startTask.next(started);
    wait.next(check).next(done);
    return startTask;
  };
  const exportOne = new Choice(scope, 'Export Type?')
    .when(
      Condition.stringEquals('$.export.type', 'glue'),
      pollLoop('Glue', fns.startGlueExport, fns.checkGlueExport),
    )
    .when(
      Condition.stringEquals('$.export.type', 'personalize'),
      pollLoop('Personalize', fns.startPersonalizeExport, fns.checkPersonalizeExport),
    )
    .otherwise(finalize);

  const exportEach = new DistributedMap(scope, STATE_NAMES.exportEach, {
    comment: 'One child execution per export; an export failing never stops another',
    itemsPath: '$.exports',
    itemSelector: { 'export.$': '$$.Map.Item.Value', 'run.$': '$.run' },
    maxConcurrency: concurrency.maxConcurrency,
    // Step Functions' default (0 %) fails the Map on one child's failure and stops every other child,
    // leaving their jobs unwatched. A child that fails anyway (a task error no catch covers) is reported
    // by Summarize Run with its own ML Export Failed event.
    toleratedFailurePercentage: 100,
    mapExecutionType: StateMachineType.STANDARD,
    // The results go to S3: thousands of them would not fit the 256 KiB state. The Map's output is then
    // where they are, which Summarize Run reads.
    resultWriterV2: new PrefixResultWriter(settings.resultsBucket, RunResultsBucket.PREFIX),
    resultPath: '$.results',
  });
  exportEach.itemProcessor(exportOne);

  // The run.
  const execution = {
    'name.$': '$$.Execution.Name',
    'arn.$': '$$.Execution.Id',
    'startTime.$': '$$.Execution.StartTime',
  };
  const prepare = invoke(
    scope,
    STATE_NAMES.prepareRun,
    fns.prepareRun,
    'Validates the input and lists the exports',
    {
      payload: TaskInput.fromObject({
        // The execution's own input, whatever JSON it is (null included, which $ cannot point to).
        'input.$': '$$.Execution.Input',
        polling: settings.polling,
        execution,
        limits: { ...concurrency, runTimeoutSeconds: settings.runTimeoutSeconds },
      }),
    },
  );
  const summarize = invoke(
    scope,
    STATE_NAMES.summarizeRun,
    fns.summarizeRun,
    'Counts the outcomes into the run event',
    {
      payload: TaskInput.fromObject({
        'results.$': '$.results',
        execution,
        // Where held export events go: the same bus and source as the state machine's own events. The bus by
        // its ARN, which PutEvents takes as EventBusName too: a name is looked up in the caller's own
        // account, which a bus of another account is not in.
        events: { source: settings.eventSource, eventBusName: eventBus?.eventBusArn ?? 'default' },
      }),
    },
  );
  const describeRejection = invoke(
    scope,
    'Describe Rejected Run',
    fns.summarizeRun,
    'Describes why the run was refused',
    {
      payload: TaskInput.fromObject({ 'error.$': '$', execution }),
    },
  );
  // Only refusals are caught. Anything else that survives its retries fails the execution at the state
  // that failed, so a redrive resumes there: Prepare Run before any job started, Export Each for the
  // child executions that did not finish (their starts adopt the jobs they created), or an event step.
  // The error replaces the state (no ResultPath, i.e. "$"): the input may be any JSON, even 42, where
  // $.error could not be set.
  // States.DataLimitExceeded (an execution input so close to 256 KiB that the task's payload passes it)
  // is named: States.ALL does not catch it.
  prepare.addCatch(describeRejection, {
    errors: [ERROR_NAMES.invalidExecutionInput, ERROR_NAMES.runSkipped, 'States.DataLimitExceeded'],
  });

  const emitRun = emit(
    STATE_NAMES.emitRunEvent,
    'The run event: completed with counts, or rejected with the reason',
  );
  const runFailed = new Fail(scope, STATE_NAMES.runFailed, {
    errorPath: '$.failure.error',
    causePath: '$.failure.cause',
  });
  const outcome = new Choice(scope, 'Run Outcome?')
    .when(
      Condition.stringEquals('$.runOutcome', 'SUCCEEDED'),
      new Succeed(scope, 'Run Succeeded', { outputPath: '$.event.detail' }),
    )
    // A run that yields to an earlier one is not a failure: it must not trip the failed-runs alarm.
    .when(
      Condition.stringEquals('$.runOutcome', 'SKIPPED'),
      new Succeed(scope, 'Run Skipped', { outputPath: '$.event.detail' }),
    )
    .otherwise(runFailed);
  summarize.next(emitRun);
  describeRejection.next(emitRun);
  emitRun.next(outcome);
  return prepare.next(exportEach).next(summarize);
}

/**
 * A Lambda task whose output is the handler's return value, with retries for Lambda's own transient errors
 * (including throttling) and for the handlers' TransientServiceError, each with full jitter and a cap.
 */
function invoke(
  scope: Construct,
  id: string,
  fn: IFunction,
  comment: string,
  options: { payload?: TaskInput } = {},
): TaskStateBase & INextable {
  return new LambdaInvoke(scope, id, {
    lambdaFunction: fn,
    comment,
    payload: options.payload,
    outputPath: '$.Payload',
    retryOnServiceExceptions: false,
    // A backstop above the functions' own timeout, for an invocation Step Functions never hears back from.
    taskTimeout: Timeout.duration(Duration.minutes(2)),
  })
    .addRetry({
      errors: [
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
        'Lambda.TooManyRequestsException',
        'Lambda.Unknown',
        // A function that ran out of time, as current Lambda runtimes report it.
        'Sandbox.Timedout',
        'States.Timeout',
      ],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(30),
      jitterStrategy: JitterType.FULL,
    })
    .addRetry({
      errors: [ERROR_NAMES.transientService],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.seconds(120),
      jitterStrategy: JitterType.FULL,
    });
}
