import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { EventBus, Match, Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ENDED_RUN_STATUSES } from '../../contract/names';
import { DeadLetterQueue } from './dead-letter-queue';
import { ExportFunction } from './export-function';
import { acknowledgeWildcards } from './nag';

export interface StoppedRunCleanupProps {
  readonly stateMachine: StateMachine;
  /** The configured transforms' ARNs (the narrowest wildcard beyond the workflow's listing limit). */
  readonly transformArns: readonly string[];
  /** Why a wildcard transform ARN is acceptable, for cdk-nag. */
  readonly wildcardReason: string;
  /** The export catalog, bundled as for Prepare Run, and its placeholders' values. */
  readonly bundledFiles: Readonly<Record<string, string>>;
  readonly environment: Readonly<Record<string, string>>;
  readonly logRetention?: RetentionDays;
  readonly logEncryptionKey?: IKey;
  /**
   * The Personalize export jobs the workflow creates (`dataset-export-job/mlx-*` ARNs), which the clean-up
   * describes to say whether a stopped run's job still runs.
   * @default - none: no Personalize exports
   */
  readonly exportJobArns?: readonly string[];
  /**
   * Bus the clean-up's events go to, the workflow's own.
   * @default - the account's default event bus
   */
  readonly eventBus?: IEventBus;
  /** `source` of the clean-up's events, the workflow's own. @default 'ml-exports' */
  readonly eventSource?: string;
}

/**
 * When a run ends without its own run event (an operator's StopExecution, the state machine's timeout, or a
 * failure in one of the run's own steps), none of its tasks run again: an EventBridge rule on the run's
 * "Step Functions Execution Status Change" event (ABORTED, TIMED_OUT, FAILED) has a function account for
 * it (lambda/cancel-stopped-run): cancel its Glue task runs, send one ML Export Stopped per unfinished
 * export and then ML Export Run Stopped. A delivery that fails past its retries (the rule's, or the
 * function's own asynchronous retries) lands in a dead-letter queue.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
export class StoppedRunCleanup extends Construct {
  public readonly function: ExportFunction;
  public readonly rule: Rule;
  /** The status-change events the rule or the function could not deliver or handle, past their retries. */
  public readonly deadLetterQueue: DeadLetterQueue;

  constructor(scope: Construct, id: string, props: StoppedRunCleanupProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const sm = props.stateMachine;
    const bus = props.eventBus ?? EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.deadLetterQueue = new DeadLetterQueue(this, 'DeadLetters', {
      purpose: 'status-change events of ended runs the clean-up could not handle past its retries',
    });
    this.function = new ExportFunction(this, 'CancelStoppedRun', {
      handlerDir: 'cancel-stopped-run',
      description:
        'Accounts for an ml-exports run that ended without its run event: cancels its Glue task runs, sends its events',
      // A run of thousands of exports means a DescribeExecution per child and a few calls per unfinished one.
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      bundledFiles: props.bundledFiles,
      environment: {
        ...props.environment,
        STATE_MACHINE_ARN: sm.stateMachineArn,
        EVENT_BUS: bus.eventBusArn,
        EVENT_SOURCE: props.eventSource ?? 'ml-exports',
      },
    });
    const execution = (resourceName: string) =>
      stack.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    // The run itself, its Map Run's child executions (`execution:<state machine>/<label>:<id>`), its Map Runs.
    const runs = execution(`${sm.stateMachineName}:*`);
    const children = execution(`${sm.stateMachineName}/*`);
    const mapRuns = stack.formatArn({
      service: 'states',
      resource: 'mapRun',
      resourceName: `${sm.stateMachineName}/*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const fn = this.function;
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListMapRuns'],
        resources: [runs],
      }),
    );
    fn.addToRolePolicy(
      new PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [children],
      }),
    );
    fn.addToRolePolicy(new PolicyStatement({ actions: ['states:ListExecutions'], resources: [mapRuns] }));
    acknowledgeWildcards(
      fn.role!,
      [runs, children, mapRuns],
      "Execution and Map Run names are generated per run; the ARNs are scoped to this state machine's own",
    );
    if (props.transformArns.length > 0) {
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: ['glue:GetMLTaskRun', 'glue:GetMLTaskRuns', 'glue:CancelMLTaskRun'],
          resources: [...props.transformArns],
        }),
      );
      acknowledgeWildcards(fn.role!, props.transformArns, props.wildcardReason);
    }
    const jobArns = props.exportJobArns ?? [];
    if (jobArns.length > 0) {
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['personalize:DescribeDatasetExportJob'], resources: [...jobArns] }),
      );
      acknowledgeWildcards(
        fn.role!,
        jobArns,
        "Export job names are made per run; the ARN is scoped to this app's job names in the dataset's account and region",
      );
    }
    bus.grantPutEventsTo(fn);
    // A TransientServiceError (throttling, 5xx) fails the invocation: Lambda runs it again, twice (what was
    // cancelled the first time is STOPPING by then, so it is not cancelled twice), then keeps the event in
    // the dead-letter queue.
    fn.configureAsyncInvoke({
      retryAttempts: 2,
      maxEventAge: Duration.hours(1),
      onFailure: new SqsDestination(this.deadLetterQueue.queue),
    });

    this.rule = new Rule(this, 'Rule', {
      description:
        'An ml-exports run ended without its run event (stopped, timed out or failed): account for it',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [sm.stateMachineArn],
          status: [...ENDED_RUN_STATUSES],
          // The run itself only: the Distributed Map's child executions are named
          // `execution:<state machine>/<map run label>:<id>`, and stop with their parent.
          executionArn: Match.prefix(execution(`${sm.stateMachineName}:`)),
        },
      },
    });
    // EventBridge retries a delivery Lambda refuses (throttling) for up to an hour, then keeps the event in
    // the dead-letter queue.
    this.rule.addTarget(
      new LambdaFunction(fn, {
        retryAttempts: 20,
        maxEventAge: Duration.hours(1),
        deadLetterQueue: this.deadLetterQueue.queue,
      }),
    );
  }
}
