import { ArnFormat, Duration, Names, RemovalPolicy, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IAlarmAction,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Match, Rule, type IEventBus } from 'aws-cdk-lib/aws-events';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  CfnTransformer,
  FilterPattern,
  LogGroup,
  MetricFilter,
  ResourcePolicy,
  RetentionDays,
} from 'aws-cdk-lib/aws-logs';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { EXPORT_DETAIL_TYPES, EXPORT_OUTCOMES } from '../../contract/names';
import type { DeadLetterQueue } from './dead-letter-queue';
import { exportEventsLogGroupName, exportEventsPolicyName } from './physical-names';

export interface ExportOperationsProps {
  readonly stateMachine: StateMachine;
  /** `source` of the workflow's events. @default 'ml-exports' */
  readonly eventSource?: string;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default - CloudWatch Logs' service key */
  readonly logEncryptionKey?: IKey;
  /**
   * Dead-letter queues to alarm on (any message).
   * @default - none
   */
  readonly deadLetterQueues?: readonly DeadLetterQueue[];
  /** What the alarms do. @default - nothing */
  readonly alarmActions?: readonly IAlarmAction[];
  /** @default - a name CloudFormation makes unique */
  readonly dashboardName?: string;
  /**
   * The bus of this account the export events reach, where they are counted into the export metrics.
   * @default - not counted (the events go to a bus of another account, and none is forwarded here)
   */
  readonly metricsBus?: IEventBus;
}

/** Namespace of the export metrics, counted from the export events. */
export const METRIC_NAMESPACE = 'MlExports';
/** Their dimension: the state machine's name, so that each deployment has metrics of its own. */
export const METRIC_DIMENSION = 'StateMachine';
const OUTCOMES = EXPORT_OUTCOMES;

/**
 * What an operator watches: alarms on failed, timed-out, aborted and throttled executions and on messages in
 * the dead-letter queues (with the actions given), export
 * outcome and duration metrics counted from the export events themselves (one per event, whoever sent it:
 * the export's own child execution, Summarize Run for owed events, the clean-up of a stopped run), and a
 * dashboard of both.
 */
export class ExportOperations extends Construct {
  /** The execution alarms (failed, timed out, aborted, throttled), then one per dead-letter queue. */
  public readonly alarms: Alarm[];
  public readonly dashboard: Dashboard;
  /** Every export event of this workflow, as EventBridge delivered it; the metric filters count them. */
  public readonly exportEvents?: LogGroup;

  constructor(scope: Construct, id: string, props: ExportOperationsProps) {
    super(scope, id);
    const sm = props.stateMachine;
    const period = Duration.minutes(5);

    const executionAlarms: [string, Metric, string][] = [
      [
        'ExecutionsFailed',
        sm.metricFailed({ period }),
        'An ml-exports run failed: see its events and the execution history',
      ],
      [
        'ExecutionsTimedOut',
        sm.metricTimedOut({ period }),
        'An ml-exports run hit the state machine timeout',
      ],
      ['ExecutionsAborted', sm.metricAborted({ period }), 'An ml-exports run was stopped'],
      ['ExecutionsThrottled', sm.metricThrottled({ period }), 'Step Functions throttled ml-exports'],
    ];
    for (const dlq of props.deadLetterQueues ?? []) {
      executionAlarms.push([
        `${Names.uniqueId(dlq)}Alarm`,
        dlq.queue.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
        `A message is in a dead-letter queue of ml-exports: ${dlq.purpose}`,
      ]);
    }
    this.alarms = executionAlarms.map(
      ([name, metric, description]) =>
        new Alarm(this, name, {
          metric,
          threshold: 1,
          evaluationPeriods: 1,
          comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
          treatMissingData: TreatMissingData.NOT_BREACHING,
          alarmDescription: description,
        }),
    );

    for (const action of props.alarmActions ?? [])
      for (const alarm of this.alarms) alarm.addAlarmAction(action);

    if (props.metricsBus) this.exportEvents = countExportEvents(this, props, props.metricsBus);
    // One metric per outcome, and the export duration, from the export events.
    const dimensionsMap = { [METRIC_DIMENSION]: sm.stateMachineName };
    const outcomeMetric = (outcome: string) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: `Exports${pascal(outcome)}`,
        dimensionsMap,
        statistic: 'Sum',
        period,
      });
    const exportDuration = (statistic: string) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: 'ExportDurationSeconds',
        dimensionsMap,
        statistic,
        period: Duration.hours(1),
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are unique per account, across regions: without a name of the user's, CloudFormation
      // makes one up that no other deployment has.
      dashboardName: props.dashboardName,
      widgets: [
        [
          new TextWidget({
            markdown: '# ml-exports\nRuns, export outcomes and durations. Events: see the README.',
            width: 24,
            height: 2,
          }),
        ],
        [
          new GraphWidget({
            title: 'Runs',
            width: 12,
            left: [
              sm.metricStarted({ period }),
              sm.metricSucceeded({ period }),
              sm.metricFailed({ period }),
              sm.metricTimedOut({ period }),
              sm.metricAborted({ period }),
            ],
          }),
          new GraphWidget({ title: 'Export outcomes', width: 12, left: OUTCOMES.map(outcomeMetric) }),
        ],
        [
          new GraphWidget({
            title: 'Export duration (s)',
            width: 12,
            left: [exportDuration('Average'), exportDuration('Maximum')],
          }),
          new GraphWidget({
            title: 'Run duration (ms)',
            width: 6,
            left: [sm.metricTime({ period: Duration.hours(1), statistic: 'Maximum' })],
          }),
          new SingleValueWidget({
            title: 'Exports not succeeded (24 h)',
            width: 6,
            metrics: [
              new MathExpression({
                expression: 'failed + timedOut + stopped',
                usingMetrics: {
                  failed: outcomeMetric('FAILED'),
                  timedOut: outcomeMetric('TIMED_OUT'),
                  stopped: outcomeMetric('STOPPED'),
                },
                period: Duration.days(1),
                label: 'failed, timed out or stopped',
              }),
            ],
          }),
        ],
      ],
    });
  }
}

/**
 * The export metrics, counted from the export events of this workflow only (its source, its state
 * machine's executions): an EventBridge rule writes each event to a log group, a transformer adds the
 * state machine's name (the metrics' dimension), and a metric filter per outcome counts them. So the counts
 * are the events, one to one: an event owed and sent by Summarize Run or the clean-up counts, a Lambda
 * retry that sends nothing does not.
 * @see https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-targets.html
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatch-Logs-Transformation.html
 */
function countExportEvents(scope: Construct, props: ExportOperationsProps, bus: IEventBus): LogGroup {
  const stack = Stack.of(scope);
  const sm = props.stateMachine;
  const logGroup = new LogGroup(scope, 'ExportEvents', {
    logGroupName: exportEventsLogGroupName(scope),
    retention: props.logRetention ?? RetentionDays.ONE_MONTH,
    encryptionKey: props.logEncryptionKey,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const logGroupArn = stack.formatArn({
    service: 'logs',
    resource: 'log-group',
    resourceName: logGroup.logGroupName,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
  const rule = new Rule(scope, 'ExportEventsRule', {
    description: 'Every export event of this ml-exports workflow, counted into the export metrics',
    eventBus: bus,
    eventPattern: {
      source: [props.eventSource ?? 'ml-exports'],
      detailType: Object.values(EXPORT_DETAIL_TYPES),
      detail: {
        executionArn: Match.prefix(
          stack.formatArn({
            service: 'states',
            resource: 'execution',
            resourceName: `${sm.stateMachineName}:`,
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        ),
      },
    },
  });
  rule.addTarget({ bind: () => ({ arn: logGroupArn }) });
  // EventBridge writes to the log group under this resource policy (CloudWatch Logs' own resource, instead
  // of the custom resource the CloudWatchLogGroup target deploys), for this rule only.
  new ResourcePolicy(scope, 'ExportEventsPolicy', {
    resourcePolicyName: exportEventsPolicyName(scope),
    policyStatements: [
      new PolicyStatement({
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${logGroupArn}:*`],
        conditions: { ArnEquals: { 'aws:SourceArn': rule.ruleArn } },
      }),
    ],
  });
  new CfnTransformer(scope, 'ExportEventsTransformer', {
    logGroupIdentifier: logGroup.logGroupName,
    transformerConfig: [
      { parseJson: {} },
      {
        addKeys: {
          entries: [{ key: 'stateMachine', value: sm.stateMachineName, overwriteIfExists: true }],
        },
      },
    ],
  });
  const dimensions = { [METRIC_DIMENSION]: '$.stateMachine' };
  for (const outcome of OUTCOMES) {
    new MetricFilter(scope, `Exports${pascal(outcome)}Filter`, {
      logGroup,
      filterPattern: FilterPattern.stringValue('$.detail.outcome', '=', outcome),
      metricNamespace: METRIC_NAMESPACE,
      metricName: `Exports${pascal(outcome)}`,
      metricValue: '1',
      dimensions,
    });
  }
  new MetricFilter(scope, 'ExportDurationFilter', {
    logGroup,
    filterPattern: FilterPattern.numberValue('$.detail.durationSeconds', '>=', 0),
    metricNamespace: METRIC_NAMESPACE,
    metricName: 'ExportDurationSeconds',
    metricValue: '$.detail.durationSeconds',
    dimensions,
  });
  return logGroup;
}

function pascal(outcome: string): string {
  return outcome
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}

/** `ExportsSucceeded` for SUCCEEDED: the export metric of an outcome. */
export function exportsMetricName(outcome: string): string {
  return `Exports${pascal(outcome)}`;
}
