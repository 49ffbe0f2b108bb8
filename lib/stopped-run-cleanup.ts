import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import { Match, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
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
}

/**
 * When an operator stops a run (StopExecution) or it hits the state machine's timeout, none of its tasks
 * run again, so its Glue task runs would go on using DPU hours: an EventBridge rule on the run's
 * "Step Functions Execution Status Change" event (ABORTED, TIMED_OUT) has a function cancel them.
 * Personalize has no call to stop a dataset export job.
 * @see https://docs.aws.amazon.com/step-functions/latest/dg/eventbridge-integration.html
 */
export class StoppedRunCleanup extends Construct {
  public readonly function: ExportFunction;
  public readonly rule: Rule;

  constructor(scope: Construct, id: string, props: StoppedRunCleanupProps) {
    super(scope, id);
    this.function = new ExportFunction(this, 'CancelStoppedRun', {
      handlerDir: 'cancel-stopped-run',
      description: 'Cancels the Glue task runs of an ml-exports run that was stopped or timed out',
      // A run of thousands of exports means one GetMLTaskRuns per transform, a few at a time.
      timeout: Duration.minutes(5),
      logRetention: props.logRetention,
      logEncryptionKey: props.logEncryptionKey,
      bundledFiles: props.bundledFiles,
      environment: props.environment,
    });
    this.function.addToRolePolicy(
      new PolicyStatement({
        actions: ['glue:GetMLTaskRuns', 'glue:CancelMLTaskRun'],
        resources: [...props.transformArns],
      }),
    );
    acknowledgeWildcards(this.function.role!, props.transformArns, props.wildcardReason);
    // A TransientServiceError (throttling, 5xx) fails the invocation: Lambda runs it again, twice, and
    // what was cancelled the first time is STOPPING by then, so it is not cancelled twice.
    this.function.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });

    const sm = props.stateMachine;
    this.rule = new Rule(this, 'Rule', {
      description: 'An ml-exports run was stopped or timed out: cancel its Glue task runs',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: {
          stateMachineArn: [sm.stateMachineArn],
          status: ['ABORTED', 'TIMED_OUT'],
          // The run itself only: the Distributed Map's child executions are named
          // `execution:<state machine>/<map run label>:<id>`, and stop with their parent.
          executionArn: Match.prefix(
            Stack.of(this).formatArn({
              service: 'states',
              resource: 'execution',
              resourceName: `${sm.stateMachineName}:`,
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          ),
        },
      },
    });
    // EventBridge retries a delivery Lambda refuses (throttling) for up to an hour; no DLQ: each
    // cancel and each failure is in the function's log.
    this.rule.addTarget(
      new LambdaFunction(this.function, { retryAttempts: 20, maxEventAge: Duration.hours(1) }),
    );
  }
}
