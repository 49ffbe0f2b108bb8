import { Annotations, ArnFormat, Duration, RemovalPolicy, Stack, Token, TokenComparison } from 'aws-cdk-lib';
import { STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2 } from 'aws-cdk-lib/cx-api';
import { type Alarm, type IAlarmAction, Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { Dashboard } from 'aws-cdk-lib/aws-cloudwatch';
import type { CfnRegistry } from 'aws-cdk-lib/aws-eventschemas';
import {
  EventBus,
  type EventPattern,
  type IEventBus,
  type OnEventOptions,
  Rule,
} from 'aws-cdk-lib/aws-events';
import { type Grant, type IGrantable, type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { CATALOG_FILE } from '../contract/catalog';
import type { ExportSpec, GlueExportSpec, PersonalizeExportSpec, PollingSettings } from '../contract/exports';
import { ExportEventType } from './enums';
import type { MlExportWorkflowProps, WorkflowFunctions } from './workflow-props';
import { DeadLetterQueue } from './private/dead-letter-queue';
import { EventSchemas } from './private/event-schemas';
import { writeExportCatalog } from './private/export-catalog';
import {
  ExportOperations,
  exportsMetricName,
  METRIC_DIMENSION,
  METRIC_NAMESPACE,
} from './private/export-operations';
import { acknowledgeStateMachineGrants, acknowledgeWildcards } from './private/nag';
import { allowPersonalizeWritesToAppBuckets } from './private/personalize-bucket-access';
import { stateMachineLogGroupName } from './private/physical-names';
import { grantRunVisibility } from './private/run-visibility';
import { PersonalizeExportRole } from './private/personalize-export-role';
import { MAX_LISTED_RESOURCES } from './private/policy-size';
import { checkProps } from './private/props-check';
import { RunResultsBucket } from './private/run-results-bucket';
import { StoppedRunCleanup } from './private/stopped-run-cleanup';
import { buildWorkflowDefinition } from './private/workflow-definition';
import { createWorkflowFunctions, grantServiceAccess } from './private/workflow-functions';

/**
 * A Step Functions workflow that exports Glue ML transform labels and Personalize datasets to S3, polls
 * each job with capped exponential backoff until it ends or runs out of time, and emits one EventBridge
 * event per export outcome plus one per run. Each export runs in its own child execution of a
 * Distributed Map, so one export never stops another and no execution's history grows with the run.
 *
 * @example
 * const bucket = new ExportBucket(this, 'Exports').bucket;
 * const workflow = new MlExportWorkflow(this, 'MlExports', {
 *   personalizeExports: [{
 *     name: 'interactions',
 *     datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/shop/INTERACTIONS',
 *     output: ExportLocation.fromBucket(bucket, 'personalize/interactions/'),
 *   }],
 * });
 * workflow.onExportFailed('ExportFailed', { target: myTarget });
 */
export class MlExportWorkflow extends Construct {
  /** The workflow's state machine; start a run with `{}` (every configured export) or a JSON input. */
  public readonly stateMachine: StateMachine;
  /** The state machine's log group (every state, with its input and output). */
  public readonly logGroup: LogGroup;
  /** The workflow's Lambda functions, one per task. */
  public readonly functions: WorkflowFunctions;
  /** The schedule that starts the runs, when `schedule` is set. */
  public readonly schedule?: Schedule;
  /** Scheduled starts EventBridge Scheduler could not make past its retries, when `schedule` is set. */
  public readonly scheduleDeadLetterQueue?: IQueue;
  /** The role Personalize assumes for exports without a role of their own: the one given or created. */
  public readonly personalizeRole?: IRole;
  /** The bus the events go to. */
  public readonly eventBus: IEventBus;
  /** `source` of every event. */
  public readonly eventSource: string;
  /** The state machine's timeout: room for the configured exports (or one full wave) to run to their limits. */
  public readonly runTimeout: Duration;
  /** Where the Distributed Map writes each run's export results. */
  public readonly runResultsBucket: IBucket;
  /**
   * Accounts for a run that ended without its run event (stopped, timed out, failed in its own steps):
   * cancels its Glue task runs and sends its exports' and its own events.
   */
  public readonly stoppedRunCleanupFunction: IFunction;
  /** The dead-letter queue of the clean-up's status-change events. */
  public readonly stoppedRunCleanupDeadLetterQueue: IQueue;
  /** The event contract, as EventBridge schemas (one per detail-type). */
  public readonly schemaRegistry: CfnRegistry;
  /** Runs, export outcomes and durations. */
  public readonly dashboard: Dashboard;
  /**
   * The alarms: executions failed, timed out, aborted and throttled, and a message in a dead-letter queue.
   * Add actions with `alarmActions` or `addAlarmAction()`.
   */
  public readonly alarms: Alarm[];

  /** @internal The configured exports as the export catalog holds them (read by this package's tests). */
  public readonly _exportCatalog: ExportSpec[];
  /** @internal */
  public readonly _polling: PollingSettings;

  /** The bus of this account the export events reach: the rules of `on*()` and the metrics' counting. */
  private readonly localEventBus?: IEventBus;

  /**
   * @param scope where the workflow goes
   * @param id its construct id (any characters: the names made from it are made valid)
   * @param props the exports and settings; every problem with them is reported in one error at synth
   */
  constructor(scope: Construct, id: string, props: MlExportWorkflowProps) {
    super(scope, id);
    // Render the Distributed Map's ResultWriterV2 (off by default in CDK v2 for compatibility).
    this.node.setContext(STEPFUNCTIONS_USE_DISTRIBUTED_MAP_RESULT_WRITER_V2, true);
    const stack = Stack.of(this);
    const {
      specs: validated,
      allowedOutputS3Prefixes,
      settings,
      values,
      createdRole,
    } = checkProps(this, props);
    this.eventSource = settings.eventSource;
    this._polling = settings.polling;
    this.runTimeout = Duration.seconds(settings.runTimeoutSeconds);

    // Prepare Run admits an explicit export under any configured export's prefix or allowed prefix, with
    // any configured KMS key: the buckets' policies and the created role allow what it admits.
    const admittedPrefixes = [
      ...new Set([...validated.map((e) => e.outputS3Prefix), ...allowedOutputS3Prefixes]),
    ];
    const kmsKeyArns = [
      ...new Set(validated.flatMap((e) => (e.type === 'personalize' && e.kmsKeyArn ? [e.kmsKeyArn] : []))),
    ];
    allowPersonalizeWritesToAppBuckets(props, admittedPrefixes, values);
    if (createdRole) {
      const role = new PersonalizeExportRole(this, 'PersonalizeExportRole', {
        outputS3Prefixes: admittedPrefixes.map((p) => values.toTokens(p)),
        kmsKeyArns: kmsKeyArns.map((k) => values.toTokens(k)),
      }).role;
      values.bind(createdRole, role.roleArn);
      this.personalizeRole = role;
    } else {
      this.personalizeRole = props.personalizeRole;
    }
    const specs = validated.map((e) => values.toTokens(e));
    const glueExports = specs.filter((e): e is GlueExportSpec => e.type === 'glue');
    const personalizeExports = specs.filter((e): e is PersonalizeExportSpec => e.type === 'personalize');
    const retention = props.logRetention ?? RetentionDays.ONE_MONTH;

    // The export catalog, bundled with the handlers that look exports up: the definition and each run's
    // list of exports then stay small however many exports are configured.
    const catalog = writeExportCatalog(this, validated, allowedOutputS3Prefixes, values);
    this._exportCatalog = catalog.exports;
    const functions = createWorkflowFunctions(this, {
      catalog,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.functions = functions;
    const { transformArns, exportJobArns } = grantServiceAccess(
      this,
      this._polling,
      glueExports,
      personalizeExports,
      functions,
    );

    const runResults = new RunResultsBucket(this, 'RunResults');
    this.runResultsBucket = runResults.bucket;
    functions.summarizeRun.addToRolePolicy(
      new PolicyStatement({ actions: ['s3:GetObject'], resources: [runResults.resultObjectsArn()] }),
    );
    acknowledgeWildcards(
      functions.summarizeRun.role!,
      [runResults.resultObjectsArn()],
      "Each run's results are written under a folder named by its Map Run; the ARN is scoped to the results prefix of this workflow's bucket",
    );
    this.eventBus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultEventBus', 'default');
    // A bus whose account differs, or cannot be compared (an imported ARN in a stack without an account),
    // is not this stack's to make rules on.
    const busAccount = Token.compareStrings(this.eventBus.env.account, stack.account);
    const ownBus = busAccount === TokenComparison.SAME || busAccount === TokenComparison.BOTH_UNRESOLVED;
    this.localEventBus = props.forwardedEventBus ?? (ownBus ? this.eventBus : undefined);
    if (!this.localEventBus && busAccount === TokenComparison.ONE_UNRESOLVED) {
      Annotations.of(this).addInfo(
        `ml-exports: the stack has no account at synth, so eventBus ${this.eventBus.eventBusArn} may be another account's: the export metrics are not counted and on*() makes no rule, unless forwardedEventBus is given or the stack's env names its account`,
      );
    }
    // Summarize Run delivers export events EventBridge refused during the run, to the same bus.
    this.eventBus.grantPutEventsTo(functions.summarizeRun);
    const definition = buildWorkflowDefinition(
      this,
      {
        eventSource: this.eventSource,
        polling: this._polling,
        runTimeoutSeconds: settings.runTimeoutSeconds,
        resultsBucket: runResults.bucket,
      },
      {
        maxConcurrency: settings.effectiveConcurrency,
        glue: settings.maxConcurrentGlueExports,
        personalize: settings.maxConcurrentPersonalizeExports,
      },
      props.eventBus,
      functions,
    );

    this.logGroup = new LogGroup(this, 'StateMachineLogs', {
      logGroupName: stateMachineLogGroupName(this),
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
      timeout: this.runTimeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: true },
    });

    acknowledgeStateMachineGrants(this.stateMachine, functions, runResults.resultObjectsArn());

    grantRunVisibility(this, this.stateMachine, functions, {
      glue: glueExports.length > 0,
      personalize: personalizeExports.length > 0,
    });

    // Whatever the run's exports, a run that ends without its run event is accounted for.
    const cleanup = new StoppedRunCleanup(this, 'StoppedRunCleanup', {
      stateMachine: this.stateMachine,
      transformArns,
      exportJobArns,
      eventBus: this.eventBus,
      eventSource: this.eventSource,
      wildcardReason: `More than ${MAX_LISTED_RESOURCES} transforms are configured: the grant covers this account's ML transforms, and only task runs of a run's own exports are cancelled`,
      bundledFiles: { [CATALOG_FILE]: catalog.file },
      environment: catalog.environment,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
    });
    this.stoppedRunCleanupFunction = cleanup.function;
    this.stoppedRunCleanupDeadLetterQueue = cleanup.deadLetterQueue.queue;

    let scheduleDeadLetters: DeadLetterQueue | undefined;
    if (props.schedule) {
      scheduleDeadLetters = new DeadLetterQueue(this, 'ScheduleDeadLetters', {
        purpose: 'scheduled starts EventBridge Scheduler could not make past its retries',
      });
      this.scheduleDeadLetterQueue = scheduleDeadLetters.queue;
      this.schedule = new Schedule(this, 'Schedule', {
        schedule: props.schedule,
        description: 'Runs every configured export (input {})',
        target: new StepFunctionsStartExecution(this.stateMachine, {
          input: ScheduleTargetInput.fromObject({}),
          deadLetterQueue: scheduleDeadLetters.queue,
        }),
      });
    }

    this.schemaRegistry = new EventSchemas(this, 'EventSchemas', { source: this.eventSource }).registry;
    const operations = new ExportOperations(this, 'Operations', {
      stateMachine: this.stateMachine,
      metricsBus: this.localEventBus,
      eventSource: this.eventSource,
      alarmActions: props.alarmActions,
      dashboardName: props.dashboardName,
      logRetention: retention,
      logEncryptionKey: props.logEncryptionKey,
      deadLetterQueues: [cleanup.deadLetterQueue, ...(scheduleDeadLetters ? [scheduleDeadLetters] : [])],
    });
    this.dashboard = operations.dashboard;
    this.alarms = operations.alarms;
  }

  /** Lets `grantee` start runs (states:StartExecution on the state machine). */
  public grantStartExecution(grantee: IGrantable): Grant {
    return this.stateMachine.grantStartExecution(grantee);
  }

  /** Lets `grantee` read the state machine, its runs and their histories. */
  public grantRead(grantee: IGrantable): Grant {
    return this.stateMachine.grantRead(grantee);
  }

  /**
   * A metric of this workflow's exports (namespace `MlExports`, dimension `StateMachine`: each deployment
   * its own), counted from the export events on this account's bus.
   * @param metricName `ExportsSucceeded`, `ExportsFailed`, `ExportsTimedOut`, `ExportsStopped` or `ExportDurationSeconds`
   * @default - props: sum over 5 minutes
   */
  public metric(metricName: string, props?: MetricOptions): Metric {
    return new Metric({
      namespace: METRIC_NAMESPACE,
      metricName,
      dimensionsMap: { [METRIC_DIMENSION]: this.stateMachine.stateMachineName },
      statistic: 'Sum',
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** Exports that wrote their files. @default - sum over 5 minutes */
  public metricExportsSucceeded(props?: MetricOptions): Metric {
    return this.metric(exportsMetricName('SUCCEEDED'), props);
  }

  /** Exports whose job failed or that could not start. @default - sum over 5 minutes */
  public metricExportsFailed(props?: MetricOptions): Metric {
    return this.metric(exportsMetricName('FAILED'), props);
  }

  /** Exports that outlived their time limit. @default - sum over 5 minutes */
  public metricExportsTimedOut(props?: MetricOptions): Metric {
    return this.metric(exportsMetricName('TIMED_OUT'), props);
  }

  /** Exports whose run ended before they did. @default - sum over 5 minutes */
  public metricExportsStopped(props?: MetricOptions): Metric {
    return this.metric(exportsMetricName('STOPPED'), props);
  }

  /** How long the exports took, in seconds. @default - average over 1 hour */
  public metricExportDuration(props?: MetricOptions): Metric {
    return this.metric('ExportDurationSeconds', {
      statistic: 'Average',
      period: Duration.hours(1),
      ...props,
    });
  }

  /** Adds actions to every alarm of the workflow. */
  public addAlarmAction(...actions: IAlarmAction[]): void {
    for (const alarm of this.alarms) alarm.addAlarmAction(...actions);
  }

  /**
   * The event pattern of this workflow's events of the given types (all of them when none is given):
   * their source and detail-types, and runs of this state machine only, so that two workflows with the
   * same `eventSource` on one bus stay apart. Use it for rules on a bus of another account.
   */
  public eventPattern(...eventTypes: ExportEventType[]): EventPattern {
    const types = eventTypes.length > 0 ? eventTypes : Object.values(ExportEventType);
    return {
      source: [this.eventSource],
      detailType: [...new Set<string>(types)],
      detail: {
        executionArn: [
          {
            prefix: Stack.of(this).formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${this.stateMachine.stateMachineName}:`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        ],
      },
    };
  }

  /** A rule on any of this workflow's events. */
  public onEvent(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [], options);
  }

  /** A rule on `ML Export Succeeded`. */
  public onExportSucceeded(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [ExportEventType.EXPORT_SUCCEEDED], options);
  }

  /** A rule on `ML Export Failed`. */
  public onExportFailed(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [ExportEventType.EXPORT_FAILED], options);
  }

  /** A rule on `ML Export Timed Out`. */
  public onExportTimedOut(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [ExportEventType.EXPORT_TIMED_OUT], options);
  }

  /** A rule on `ML Export Stopped` (an export whose run ended before it did). */
  public onExportStopped(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [ExportEventType.EXPORT_STOPPED], options);
  }

  /** A rule on `ML Export Run Completed`. */
  public onRunCompleted(id: string, options?: OnEventOptions): Rule {
    return this.rule(id, [ExportEventType.RUN_COMPLETED], options);
  }

  private rule(id: string, eventTypes: ExportEventType[], options: OnEventOptions = {}): Rule {
    if (!this.localEventBus) {
      const owner = Token.isUnresolved(Stack.of(this).account)
        ? `may be a bus of another account (${this.eventBus.env.account}; the stack's account is not known at synth)`
        : `is a bus of account ${this.eventBus.env.account}`;
      throw new Error(
        `ml-exports: eventBus ${this.eventBus.eventBusArn} ${owner}: a rule on it is that account's to make, with workflow.eventPattern() as its pattern. Or give forwardedEventBus, the bus of this account that bus forwards the events to.`,
      );
    }
    const rule = new Rule(this, id, {
      description: options.description,
      ruleName: options.ruleName,
      crossStackScope: options.crossStackScope,
      eventBus: this.localEventBus,
    });
    rule.addEventPattern(this.eventPattern(...eventTypes));
    rule.addEventPattern(options.eventPattern);
    if (options.target) rule.addTarget(options.target);
    return rule;
  }
}
