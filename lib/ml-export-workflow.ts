import { Arn, ArnFormat, Duration, RemovalPolicy, Stack, Stage, Validations } from 'aws-cdk-lib';
import { STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2 } from 'aws-cdk-lib/cx-api';
import { EventBus, type IEventBus } from 'aws-cdk-lib/aws-events';
import { type CfnPolicy, Effect, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction, IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import {
  Choice,
  Condition,
  DefinitionBody,
  DistributedMap,
  Fail,
  JitterType,
  JsonPath,
  LogLevel,
  Pass,
  ResultWriterV2,
  StateMachine,
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
import { Construct } from 'constructs';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CATALOG_FILE, CATALOG_PLACEHOLDERS } from '../lambda/shared/catalog';
import type {
  ExportSpec,
  GlueExportSpec,
  PersonalizeExportSpec,
  PollingSettings,
} from '../lambda/shared/types';
import { ERROR_NAMES, JOB_NAME_PREFIX } from '../contract/names';
import { EventSchemas } from './event-schemas';
import {
  checkWorkflowProps,
  ConfigurationError,
  CREATED_BUCKET,
  MAX_LISTED_RESOURCES,
  workflowSettings,
  withCreated,
  usesCreatedRole,
  type MlExportWorkflowProps,
} from './workflow-props';
import { ExportFunction } from './export-function';
import { ExportOperations } from './export-operations';
import { acknowledgeWildcardResources, acknowledgeWildcards } from './nag';
import { OutputBucket } from './output-bucket';
import { PersonalizeExportRole } from './personalize-export-role';
import { RunResultsBucket } from './run-results-bucket';
import { StoppedRunCleanup } from './stopped-run-cleanup';

export {
  ConfigurationError,
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
  HISTORY_EVENTS_PER_POLL,
  MAX_LISTED_RESOURCES,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  worstCaseExportHistoryEvents,
  type GlueExportProps,
  type MlExportWorkflowProps,
  type PersonalizeExportProps,
} from './workflow-props';

/** The workflow's handlers, one per task. */
export interface WorkflowFunctions {
  readonly prepareRun: ExportFunction;
  readonly startGlue: ExportFunction;
  readonly getGlue: ExportFunction;
  readonly startPersonalize: ExportFunction;
  readonly getPersonalize: ExportFunction;
  readonly finalizeExport: ExportFunction;
  readonly summarizeRun: ExportFunction;
}

/**
 * A Step Functions workflow that exports Glue ML transform labels and Personalize datasets to S3, polls
 * each job with capped exponential backoff until it ends or runs out of time, and emits one EventBridge
 * event per export outcome plus one per run. Each export runs in its own child execution of a
 * Distributed Map, so one export never stops another and no execution's history grows with the run.
 */
export class MlExportWorkflow extends Construct {
  public readonly stateMachine: StateMachine;
  public readonly logGroup: LogGroup;
  /** The handlers, by task (`prepareRun`, `startGlue`, ...). */
  public readonly functions: WorkflowFunctions;
  public readonly schedule?: Schedule;
  /** The output bucket, when `createOutputBucket` is set. */
  public readonly outputBucket?: OutputBucket;
  /** The event contract, as EventBridge schemas. */
  public readonly eventSchemas: EventSchemas;
  /** Alarms, metrics and dashboard. */
  public readonly operations: ExportOperations;
  /** The role Personalize assumes, when `createPersonalizeRole` is set. */
  public readonly personalizeRole?: PersonalizeExportRole;
  public readonly eventSource: string;
  public readonly polling: PollingSettings;
  /** The state machine's timeout: room for the configured exports (or one full wave) to run to their limits. */
  public readonly runTimeoutSeconds: number;
  /**
   * The configured exports as bundled with the handlers (`export-catalog.json`), a created bucket or role
   * standing as a placeholder filled from the functions' environment.
   */
  public readonly exportCatalog: ExportSpec[];
  /** Where the Distributed Map writes each run's export results. */
  public readonly runResults: RunResultsBucket;
  /** Cancels the Glue task runs of a stopped or timed-out run, when Glue exports are configured. */
  public readonly stoppedRunCleanup?: StoppedRunCleanup;

  constructor(scope: Construct, id: string, props: MlExportWorkflowProps) {
    super(scope, id);
    // Render the Distributed Map's ResultWriterV2 (off by default in CDK v2 for compatibility).
    this.node.setContext(STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
    const settings = workflowSettings(props);
    this.eventSource = settings.eventSource;
    this.polling = settings.polling;
    this.runTimeoutSeconds = settings.runTimeoutSeconds;
    const glueLimit = settings.maxConcurrentGlueExports;
    const personalizeLimit = settings.maxConcurrentPersonalizeExports;
    const maxConcurrency = settings.effectiveConcurrency;
    const {
      specs: validated,
      allowedOutputS3Prefixes,
      problems,
    } = checkWorkflowProps(props, Stack.of(this).region);
    if (problems.length > 0) throw ConfigurationError.of(undefined, problems);

    // Put the created bucket and role in place of the stand-ins the exports were validated with.
    if (props.createOutputBucket) this.outputBucket = new OutputBucket(this, 'OutputBucket');
    const bucketName = this.outputBucket?.bucket.bucketName;
    const needRole = validated
      .map((e) => withCreated(e, { bucket: bucketName }))
      .filter((e): e is PersonalizeExportSpec => usesCreatedRole(e));
    if (needRole.length > 0) {
      this.personalizeRole = new PersonalizeExportRole(this, 'PersonalizeExportRole', {
        outputS3Prefixes: needRole.map((e) => e.outputS3Prefix),
        kmsKeyArns: unique(needRole.flatMap((e) => (e.kmsKeyArn ? [e.kmsKeyArn] : []))),
      });
    }
    const roleArn = this.personalizeRole?.role.roleArn;
    const specs = validated.map((e) => withCreated(e, { bucket: bucketName, roleArn }));
    const glueExports = specs.filter((e): e is GlueExportSpec => e.type === 'glue');
    const personalizeExports = specs.filter((e): e is PersonalizeExportSpec => e.type === 'personalize');
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // The export catalog, bundled with the handlers that look exports up: the definition and each run's
    // list of exports then stay small however many exports are configured.
    this.exportCatalog = validated.map((e) =>
      withCreated(e, {
        bucket: CATALOG_PLACEHOLDERS.outputBucket.text,
        roleArn: CATALOG_PLACEHOLDERS.personalizeRoleArn.text,
      }),
    );
    const catalogText = JSON.stringify({
      exports: this.exportCatalog,
      allowedOutputS3Prefixes: allowedOutputS3Prefixes.map((p) =>
        p.replace(`s3://${CREATED_BUCKET}/`, `s3://${CATALOG_PLACEHOLDERS.outputBucket.text}/`),
      ),
    });
    const catalogFile = writeCatalog(this, catalogText);
    const catalogEnvironment: Record<string, string> = {};
    if (bucketName && catalogText.includes(CATALOG_PLACEHOLDERS.outputBucket.text))
      catalogEnvironment[CATALOG_PLACEHOLDERS.outputBucket.env] = bucketName;
    if (roleArn && catalogText.includes(CATALOG_PLACEHOLDERS.personalizeRoleArn.text))
      catalogEnvironment[CATALOG_PLACEHOLDERS.personalizeRoleArn.env] = roleArn;

    const fn = (handlerDir: string, description: string, options: { catalog?: boolean } = {}) =>
      new ExportFunction(this, toPascal(handlerDir), {
        handlerDir,
        description,
        logRetention: retention,
        logEncryptionKey: props.logEncryptionKey,
        ...(options.catalog
          ? { bundledFiles: { [CATALOG_FILE]: catalogFile }, environment: catalogEnvironment }
          : {}),
      });
    const withCatalog = { catalog: true };
    const functions: WorkflowFunctions = {
      prepareRun: fn('prepare-run', 'Validates the run input and lists the exports of the run', withCatalog),
      startGlue: fn(
        'start-glue-export',
        'Starts (or adopts) a Glue ML transform label export task run',
        withCatalog,
      ),
      getGlue: fn('get-glue-export-status', 'Checks a Glue label export task run'),
      startPersonalize: fn(
        'start-personalize-export',
        'Creates (or adopts) a Personalize dataset export job',
        withCatalog,
      ),
      getPersonalize: fn('get-personalize-export-status', 'Checks a Personalize dataset export job'),
      finalizeExport: fn('finalize-export', 'Turns an export outcome into its terminal event', withCatalog),
      summarizeRun: fn(
        'summarize-run',
        'Reads the export results, delivers held export events, and turns them into the run event',
      ),
    };
    this.functions = functions;
    const transformArns = this.grantServiceAccess(glueExports, personalizeExports, functions);

    this.runResults = new RunResultsBucket(this, 'RunResults');
    functions.summarizeRun.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [this.runResults.resultObjectsArn()] }),
    );
    acknowledgeWildcards(
      functions.summarizeRun.role!,
      [this.runResults.resultObjectsArn()],
      "Each run's results are written under a folder named by its Map Run; the ARN is scoped to the results prefix of this workflow's bucket",
    );
    // Summarize Run delivers export events EventBridge refused during the run, to the same bus.
    (props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultEventBus', 'default')).grantPutEventsTo(
      functions.summarizeRun,
    );
    const definition = this.buildDefinition(
      { maxConcurrency, glue: glueLimit, personalize: personalizeLimit },
      props.eventBus,
      functions,
    );

    this.logGroup = new LogGroup(this, 'StateMachineLogs', {
      logGroupName: `/aws/vendedlogs/states/${Stack.of(this).stackName}-${id}`,
      retention,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromChainable(definition),
      comment: 'Exports Glue ML transform labels and Personalize datasets, polls each job, emits events',
      // A backstop only: each export ends by its own deadline, so a run ends soon after its slowest wave of
      // exports. Prepare Run refuses runs with more waves than this allows.
      timeout: Duration.seconds(this.runTimeoutSeconds),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });

    Validations.of(this.stateMachine).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'CloudWatch Logs vended-log delivery and X-Ray tracing actions support no resource-level permissions',
      },
      // LambdaInvoke grants each function and its versions (`<arn>:*`); the functions are this construct's own.
      ...Object.values(this.functions).map((fn) => ({
        id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).resolve((fn.node.defaultChild as CfnFunction).logicalId)}.Arn>:*]`,
        reason: 'Invoking the versions of a function this workflow owns',
      })),
    );

    // The Map's ResultWriter grant (from CDK) covers the objects of the results bucket.
    acknowledgeWildcards(
      this.stateMachine.role,
      [
        Stack.of(this).formatArn({
          service: 's3',
          region: '',
          account: '',
          resource: this.runResults.bucket.bucketName,
          resourceName: '*',
        }),
      ],
      "The Distributed Map writes each run's results to this workflow's own results bucket, in folders named by the Map Run",
    );

    // Distributed Map: the state machine starts, describes, stops and redrives its own child executions.
    acknowledgeWildcardResources(
      this.stateMachine.node.findChild('DistributedMapPolicy').node.defaultChild as CfnPolicy,
      "The Distributed Map manages this state machine's own child executions, whose names are generated",
    );

    // Prepare Run looks for earlier runs of this state machine still exporting the same data. A policy of
    // its own, so that the function does not depend on the state machine that depends on it.
    const seeOtherRuns = new Policy(this, 'PrepareRunSeesOtherRuns', {
      roles: [functions.prepareRun.role!],
      statements: [
        new PolicyStatement({
          actions: ['states:ListExecutions'],
          resources: [this.stateMachine.stateMachineArn],
        }),
        new PolicyStatement({
          actions: ['states:DescribeExecution'],
          resources: [
            Stack.of(this).formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${this.stateMachine.stateMachineName}:*`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ],
        }),
      ],
    });
    acknowledgeWildcardResources(
      seeOtherRuns.node.defaultChild as CfnPolicy,
      'Execution names are chosen per run; the ARN is scoped to executions of this state machine',
    );

    if (transformArns.length > 0) {
      this.stoppedRunCleanup = new StoppedRunCleanup(this, 'StoppedRunCleanup', {
        stateMachine: this.stateMachine,
        transformArns,
        wildcardReason: `More than ${MAX_LISTED_RESOURCES} transforms are configured: the grant covers this account's ML transforms, and only task runs writing to a run's own output paths are cancelled`,
        bundledFiles: { [CATALOG_FILE]: catalogFile },
        environment: catalogEnvironment,
        logRetention: retention,
        logEncryptionKey: props.logEncryptionKey,
      });
    }

    this.eventSchemas = new EventSchemas(this, 'EventSchemas', { source: this.eventSource });
    this.operations = new ExportOperations(this, 'Operations', {
      stateMachine: this.stateMachine,
      finalizeLogGroup: functions.finalizeExport.logGroup,
      alarmEmail: props.alarmEmail,
    });

    if (props.schedule) {
      this.schedule = new Schedule(this, 'Schedule', {
        schedule: props.schedule,
        description: 'Runs every configured export (input {})',
        target: new StepFunctionsStartExecution(this.stateMachine, {
          input: ScheduleTargetInput.fromObject({}),
        }),
      });
    }
  }

  private grantServiceAccess(
    glueExports: GlueExportSpec[],
    personalizeExports: PersonalizeExportSpec[],
    fns: WorkflowFunctions,
  ): string[] {
    const stack = Stack.of(this);
    const transformArns = listedOrWildcard(
      glueExports.map((e) =>
        stack.formatArn({ service: 'glue', resource: 'mlTransform', resourceName: e.transformId }),
      ),
      [() => stack.formatArn({ service: 'glue', resource: 'mlTransform', resourceName: '*' })],
    );
    const datasetArns = listedOrWildcard(
      personalizeExports.map((e) => e.datasetArn),
      [
        // arn:<p>:personalize:<region>:<account>:dataset/<dataset group>/<type>: the group's datasets, ...
        (arn) => arn.replace(/(:dataset\/[^/]+\/).*$/, '$1*'),
        // ... or every dataset of the account and region.
        (arn) => arn.replace(/(:dataset\/).*$/, '$1*'),
      ],
    );
    // Job names are made per run (mlx-<export>-<execution>-<hash>), so the job ARNs end in a wildcard.
    const exportJobArns = unique(personalizeExports.map((e) => datasetExportJobsArn(this, e.datasetArn)));
    const roleArns = listedOrWildcard(
      personalizeExports.map((e) => e.roleArn),
      [(arn) => arn.replace(/(:role\/).*$/, '$1*')],
    );
    const manyReason = `More than ${MAX_LISTED_RESOURCES} are configured: listing each would outgrow IAM's policy size limit, so the grant covers them by the narrowest wildcard, and Prepare Run admits only configured exports`;

    if (transformArns.length > 0) {
      fns.startGlue.addToRolePolicy(
        new PolicyStatement({
          actions: ['glue:StartExportLabelsTaskRun', 'glue:GetMLTaskRuns'],
          resources: transformArns,
        }),
      );
      // CancelMLTaskRun: the status task stops a task run that outlived its export's time limit.
      fns.getGlue.addToRolePolicy(
        new PolicyStatement({
          actions: ['glue:GetMLTaskRun', 'glue:CancelMLTaskRun'],
          resources: transformArns,
        }),
      );
      for (const fn of [fns.startGlue, fns.getGlue])
        acknowledgeWildcards(fn.role!, transformArns, manyReason);
    }
    if (datasetArns.length > 0) {
      fns.startPersonalize.addToRolePolicy(
        new PolicyStatement({
          actions: ['personalize:CreateDatasetExportJob'],
          resources: [...datasetArns, ...exportJobArns],
        }),
      );
      fns.startPersonalize.addToRolePolicy(
        new PolicyStatement({ actions: ['personalize:DescribeDatasetExportJob'], resources: exportJobArns }),
      );
      fns.startPersonalize.addToRolePolicy(
        new PolicyStatement({
          effect: Effect.ALLOW,
          actions: ['iam:PassRole'],
          resources: roleArns,
          conditions: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
        }),
      );
      fns.getPersonalize.addToRolePolicy(
        new PolicyStatement({ actions: ['personalize:DescribeDatasetExportJob'], resources: exportJobArns }),
      );
      if (this.polling.strategy === 'history') {
        // The export's past jobs, for history-aware polling. The action has no resource type:
        // https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonpersonalize.html
        fns.startPersonalize.addToRolePolicy(
          new PolicyStatement({ actions: ['personalize:ListDatasetExportJobs'], resources: ['*'] }),
        );
        Validations.of(fns.startPersonalize.role!).acknowledge({
          id: 'AwsSolutions-IAM5[Resource::*]',
          reason:
            'personalize:ListDatasetExportJobs (read-only job metadata, for history-aware polling) has no resource type, and X-Ray tracing supports no resource-level permissions',
        });
      }
      acknowledgeWildcards(fns.startPersonalize.role!, [...datasetArns, ...roleArns], manyReason);
      for (const fn of [fns.startPersonalize, fns.getPersonalize]) {
        Validations.of(fn.role!).acknowledge(
          ...exportJobArns.map((arn) => ({
            id: `AwsSolutions-IAM5[Resource::${arn}]`,
            reason: `Export job names are made per run; the ARN is scoped to this app's "${JOB_NAME_PREFIX}" job names in the dataset's account and region`,
          })),
        );
      }
    }
    return transformArns;
  }

  private buildDefinition(
    concurrency: { maxConcurrency: number; glue: number; personalize: number },
    eventBus: IEventBus | undefined,
    fns: WorkflowFunctions,
  ): IChainable {
    const emit = (id: string, comment: string) =>
      new EventBridgePutEvents(this, id, {
        comment,
        entries: [
          {
            source: this.eventSource,
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
      this,
      'Finalize Export',
      fns.finalizeExport,
      'Turns the outcome into one terminal event',
    );
    const emitExport = emit('Emit Export Event', 'The one terminal event of this export');
    finalize.next(emitExport).next(new Succeed(this, 'Export Done', { outputPath: '$.result' }));
    // An event EventBridge still refuses after its retries is held in the export's result, and the child
    // execution succeeds: one export's outage never stops another. Summarize Run delivers held events.
    emitExport.addCatch(
      new Pass(this, 'Hold Export Event', {
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
        this,
        `Start ${kind} Export`,
        start,
        'Starts the job, or adopts the one an earlier attempt started',
      );
      const wait = new Wait(this, `Wait For ${kind} Export`, {
        time: WaitTime.secondsPath('$.tracking.waitSeconds'),
      });
      // A start refused because the account's concurrency quota is full waits for a slot and tries again.
      const waitForCapacity = new Wait(this, `Wait For ${kind} Capacity`, {
        comment: "The account's concurrent job quota is full: try the start again later",
        time: WaitTime.secondsPath('$.capacity.waitSeconds'),
      });
      const started = new Choice(this, `${kind} Export Started?`)
        .when(Condition.isPresent('$.tracking'), wait)
        .when(Condition.stringEquals('$.capacity.outcome', 'WAITING'), waitForCapacity.next(startTask))
        .otherwise(finalize);
      const check = invoke(
        this,
        `Get ${kind} Export Status`,
        getStatus,
        'Checks the job and sets the next wait',
      );
      const done = new Choice(this, `${kind} Export Done?`)
        .when(Condition.stringEquals('$.tracking.outcome', 'RUNNING'), wait)
        .otherwise(finalize);
      for (const task of [startTask, check])
        task.addCatch(finalize, { errors: ['States.ALL'], resultPath: '$.error' });
      startTask.next(started);
      wait.next(check).next(done);
      return startTask;
    };
    const exportOne = new Choice(this, 'Export Type?')
      .when(Condition.stringEquals('$.export.type', 'glue'), pollLoop('Glue', fns.startGlue, fns.getGlue))
      .when(
        Condition.stringEquals('$.export.type', 'personalize'),
        pollLoop('Personalize', fns.startPersonalize, fns.getPersonalize),
      )
      .otherwise(finalize);

    const exportEach = new DistributedMap(this, 'Export Each', {
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
      resultWriterV2: new ResultWriterV2({
        bucket: this.runResults.bucket,
        prefix: RunResultsBucket.PREFIX,
      }),
      resultPath: '$.results',
    });
    exportEach.itemProcessor(exportOne);

    // The run.
    const execution = {
      'name.$': '$$.Execution.Name',
      'arn.$': '$$.Execution.Id',
      'startTime.$': '$$.Execution.StartTime',
    };
    const prepare = invoke(this, 'Prepare Run', fns.prepareRun, 'Validates the input and lists the exports', {
      payload: TaskInput.fromObject({
        // The execution's own input, whatever JSON it is (null included, which $ cannot point to).
        'input.$': '$$.Execution.Input',
        polling: this.polling,
        execution,
        limits: { ...concurrency, runTimeoutSeconds: this.runTimeoutSeconds },
      }),
    });
    const summarize = invoke(
      this,
      'Summarize Run',
      fns.summarizeRun,
      'Counts the outcomes into the run event',
      {
        payload: TaskInput.fromObject({
          'results.$': '$.results',
          execution,
          // Where held export events go: the same bus and source as the state machine's own events.
          events: { source: this.eventSource, eventBusName: eventBus?.eventBusName ?? 'default' },
        }),
      },
    );
    const describeRejection = invoke(
      this,
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
      'Emit Run Event',
      'The run event: completed with counts, or rejected with the reason',
    );
    const runFailed = new Fail(this, 'Run Failed', {
      errorPath: '$.failure.error',
      causePath: '$.failure.cause',
    });
    const outcome = new Choice(this, 'Run Outcome?')
      .when(
        Condition.stringEquals('$.runOutcome', 'SUCCEEDED'),
        new Succeed(this, 'Run Succeeded', { outputPath: '$.event.detail' }),
      )
      // A run that yields to an earlier one is not a failure: it must not trip the failed-runs alarm.
      .when(
        Condition.stringEquals('$.runOutcome', 'SKIPPED'),
        new Succeed(this, 'Run Skipped', { outputPath: '$.event.detail' }),
      )
      .otherwise(runFailed);
    summarize.next(emitRun);
    describeRejection.next(emitRun);
    emitRun.next(outcome);
    return prepare.next(exportEach).next(summarize);
  }
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

/**
 * Writes the catalog where the bundling step copies it from: the cloud assembly folder (cdk.out), where a
 * user can read it too.
 */
function writeCatalog(scope: Construct, catalogText: string): string {
  const outdir = Stage.of(scope)?.outdir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-'));
  fs.mkdirSync(outdir, { recursive: true });
  const file = path.join(outdir, `${scope.node.addr}.${CATALOG_FILE}`);
  fs.writeFileSync(file, catalogText);
  return file;
}

/**
 * The distinct ARNs, or, when there are more than MAX_LISTED_RESOURCES, the first coarsening (ARN to
 * wildcard ARN) that brings them within it; the last one is used whatever the count.
 */
function listedOrWildcard(arns: string[], coarsenings: ((arn: string) => string)[]): string[] {
  let listed = unique(arns);
  for (const coarsen of coarsenings) {
    if (listed.length <= MAX_LISTED_RESOURCES) break;
    listed = unique(listed.map(coarsen));
  }
  return listed;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function toPascal(kebab: string): string {
  return kebab.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/** The Personalize export jobs this workflow names, in the dataset's partition, region and account. */
function datasetExportJobsArn(scope: Construct, datasetArn: string): string {
  const arn = Arn.split(datasetArn, ArnFormat.SLASH_RESOURCE_NAME);
  return Stack.of(scope).formatArn({
    partition: arn.partition,
    service: 'personalize',
    region: arn.region,
    account: arn.account,
    resource: 'dataset-export-job',
    resourceName: `${JOB_NAME_PREFIX}*`,
    arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
  });
}
