import { ArnFormat, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2 } from 'aws-cdk-lib/cx-api';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { type CfnPolicy, Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CATALOG_FILE } from '../contract/catalog';
import type { ExportSpec, GlueExportSpec, PersonalizeExportSpec, PollingSettings } from '../contract/exports';
import { EventSchemas } from './event-schemas';
import { writeExportCatalog } from './export-catalog';
import { buildWorkflowDefinition } from './workflow-definition';
import { createWorkflowFunctions, grantServiceAccess, type WorkflowFunctions } from './workflow-functions';
import { checkWorkflowProps, ConfigurationError } from './workflow-props-check';
import {
  CREATED_BUCKET,
  MAX_LISTED_RESOURCES,
  workflowSettings,
  withCreated,
  usesCreatedRole,
  type MlExportWorkflowProps,
} from './workflow-props';
import { ExportOperations } from './export-operations';
import { acknowledgeWildcardResources, acknowledgeWildcards } from './nag';
import { OutputBucket } from './output-bucket';
import { PersonalizeExportRole } from './personalize-export-role';
import { RunResultsBucket } from './run-results-bucket';
import { StoppedRunCleanup } from './stopped-run-cleanup';
import { DeadLetterQueue } from './dead-letter-queue';
import type { ExportFunction } from './export-function';

export type { WorkflowFunctions } from './workflow-functions';
export { ConfigurationError } from './workflow-props-check';
export {
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

/**
 * Where Prepare Run lets an explicit export write: under any configured export's prefix or one of the
 * allowed prefixes, encrypted with any configured KMS key (lambda/prepare-run, checkAllowedResources).
 */
function admittedExportLocations(
  specs: readonly ExportSpec[],
  allowedOutputS3Prefixes: readonly string[],
): { prefixes: string[]; kmsKeyArns: string[] } {
  return {
    prefixes: [...new Set([...specs.map((e) => e.outputS3Prefix), ...allowedOutputS3Prefixes])],
    kmsKeyArns: [
      ...new Set(specs.flatMap((e) => (e.type === 'personalize' && e.kmsKeyArn ? [e.kmsKeyArn] : []))),
    ],
  };
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
  /**
   * Accounts for a run that ended without its run event (stopped, timed out, failed in its own steps): cancels
   * its Glue task runs and sends its exports' and its own events.
   */
  public readonly stoppedRunCleanup: StoppedRunCleanup;
  /** Scheduled starts that EventBridge Scheduler could not make, when a schedule is configured. */
  public readonly scheduleDeadLetters?: DeadLetterQueue;

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

    // Prepare Run admits an explicit export under any configured export's prefix or allowed prefix, with
    // any configured role and KMS key: the created bucket's policy and the created role allow what it admits.
    const admitted = admittedExportLocations(validated, allowedOutputS3Prefixes);

    // Put the created bucket and role in place of the stand-ins the exports were validated with.
    // An existing bucket or role given as an object takes the place of the one the construct would create.
    if (props.createOutputBucket && !props.outputBucket) {
      const createdBucket = `s3://${CREATED_BUCKET}/`;
      this.outputBucket = new OutputBucket(this, 'OutputBucket', {
        personalizeExportPrefixes: admitted.prefixes
          .filter((p) => p.startsWith(createdBucket))
          .map((p) => p.slice(createdBucket.length)),
      });
    }
    const bucketName = (props.outputBucket ?? this.outputBucket?.bucket)?.bucketName;
    const needRole = validated.some((e) => usesCreatedRole(e));
    if (needRole && !props.personalizeRole) {
      this.personalizeRole = new PersonalizeExportRole(this, 'PersonalizeExportRole', {
        outputS3Prefixes: admitted.prefixes.map((p) =>
          bucketName ? p.replace(`s3://${CREATED_BUCKET}/`, `s3://${bucketName}/`) : p,
        ),
        kmsKeyArns: admitted.kmsKeyArns,
      });
    }
    const roleArn = (props.personalizeRole ?? this.personalizeRole?.role)?.roleArn;
    const specs = validated.map((e) => withCreated(e, { bucket: bucketName, roleArn }));
    const glueExports = specs.filter((e): e is GlueExportSpec => e.type === 'glue');
    const personalizeExports = specs.filter((e): e is PersonalizeExportSpec => e.type === 'personalize');
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // The export catalog, bundled with the handlers that look exports up: the definition and each run's
    // list of exports then stay small however many exports are configured.
    const catalog = writeExportCatalog(this, validated, allowedOutputS3Prefixes, { bucketName, roleArn });
    this.exportCatalog = catalog.exports;
    const functions = createWorkflowFunctions(this, {
      catalog,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.functions = functions;
    const { transformArns, exportJobArns } = grantServiceAccess(
      this,
      this.polling,
      glueExports,
      personalizeExports,
      functions,
    );

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
    const eventBus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    eventBus.grantPutEventsTo(functions.summarizeRun);
    const definition = buildWorkflowDefinition(
      this,
      {
        eventSource: this.eventSource,
        polling: this.polling,
        runTimeoutSeconds: this.runTimeoutSeconds,
        resultsBucket: this.runResults.bucket,
      },
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

    // The Map's ResultWriter writes under the results prefix, in folders named by the Map Run.
    acknowledgeWildcards(
      this.stateMachine.role,
      [this.runResults.resultObjectsArn()],
      "The Distributed Map writes each run's results under the results prefix of this workflow's own bucket, in folders named by the Map Run",
    );

    // Distributed Map: the state machine starts, describes, stops and redrives its own child executions.
    acknowledgeWildcardResources(
      this.stateMachine.node.findChild('DistributedMapPolicy').node.defaultChild as CfnPolicy,
      "The Distributed Map manages this state machine's own child executions, whose names are generated",
    );

    seeRuns(this, this.stateMachine, functions, {
      glue: glueExports.length > 0,
      personalize: personalizeExports.length > 0,
    });

    // Whatever the run's exports, a run that ends without its run event is accounted for.
    this.stoppedRunCleanup = new StoppedRunCleanup(this, 'StoppedRunCleanup', {
      stateMachine: this.stateMachine,
      transformArns,
      exportJobArns,
      eventBus: props.eventBus,
      eventSource: this.eventSource,
      wildcardReason: `More than ${MAX_LISTED_RESOURCES} transforms are configured: the grant covers this account's ML transforms, and only task runs of a run's own exports are cancelled`,
      bundledFiles: { [CATALOG_FILE]: catalog.file },
      environment: catalog.environment,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
    });

    if (props.schedule) {
      this.scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
        purpose: 'scheduled starts EventBridge Scheduler could not make past its retries',
      });
      this.schedule = new Schedule(this, 'Schedule', {
        schedule: props.schedule,
        description: 'Runs every configured export (input {})',
        target: new StepFunctionsStartExecution(this.stateMachine, {
          input: ScheduleTargetInput.fromObject({}),
          deadLetterQueue: this.scheduleDeadLetters.queue,
        }),
      });
    }

    this.eventSchemas = new EventSchemas(this, 'EventSchemas', { source: this.eventSource });
    this.operations = new ExportOperations(this, 'Operations', {
      stateMachine: this.stateMachine,
      eventBus: props.eventBus,
      eventSource: this.eventSource,
      alarmEmail: props.alarmEmail,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
      deadLetterQueues: [
        this.stoppedRunCleanup.deadLetterQueue,
        ...(this.scheduleDeadLetters ? [this.scheduleDeadLetters] : []),
      ],
    });
  }
}

/**
 * The handlers that read the state machine's own executions, each with a policy of its own so that the
 * functions do not depend on the state machine that depends on them: Prepare Run and the start tasks look
 * for other runs exporting the same data (the overlap rule; a start task before each new job, so that a
 * redriven run yields too), and the Glue tasks ask whether their run was redriven (a task run cancelled by
 * the clean-up of the stopped run is then replaced, not adopted).
 */
function seeRuns(
  scope: Construct,
  sm: StateMachine,
  fns: WorkflowFunctions,
  configured: { glue: boolean; personalize: boolean },
): void {
  const list = new PolicyStatement({ actions: ['states:ListExecutions'], resources: [sm.stateMachineArn] });
  const describe = new PolicyStatement({
    actions: ['states:DescribeExecution'],
    resources: [
      Stack.of(scope).formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${sm.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      }),
    ],
  });
  const policies: [string, ExportFunction[], PolicyStatement[]][] = [
    ['PrepareRunSeesOtherRuns', [fns.prepareRun], [list, describe]],
    [
      'StartTasksSeeOtherRuns',
      [
        ...(configured.glue ? [fns.startGlue] : []),
        ...(configured.personalize ? [fns.startPersonalize] : []),
      ],
      [list, describe],
    ],
    ['GlueStatusSeesItsRun', configured.glue ? [fns.getGlue] : [], [describe]],
  ];
  for (const [id, roles, statements] of policies) {
    if (roles.length === 0) continue;
    const policy = new Policy(scope, id, { roles: roles.map((fn) => fn.role!), statements });
    acknowledgeWildcardResources(
      policy.node.defaultChild as CfnPolicy,
      'Execution names are chosen per run; the ARN is scoped to executions of this state machine',
    );
  }
}
