import { ArnFormat, Duration, Stack } from 'aws-cdk-lib';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  MathExpression,
  Metric,
  SingleValueWidget,
  TextWidget,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { FilterPattern, type ILogGroup, MetricFilter } from 'aws-cdk-lib/aws-logs';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { StateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

export interface ExportOperationsProps {
  readonly stateMachine: StateMachine;
  /** Log group of the finalize-export function, whose "Export ended" lines carry each outcome. */
  readonly finalizeLogGroup: ILogGroup;
  /**
   * Where alarm notifications go.
   * @default - alarms without notifications
   */
  readonly alarmEmail?: string;
}

/** Namespace of the export metrics taken from the finalize-export logs. */
export const METRIC_NAMESPACE = 'MlExports';
const OUTCOMES = ['SUCCEEDED', 'FAILED', 'TIMED_OUT'] as const;

/**
 * What an operator watches: alarms on failed, timed-out, aborted and throttled executions (optionally
 * sent to an e-mail address through an encrypted SNS topic), export outcome and duration metrics from the
 * structured logs, and a dashboard of both.
 */
export class ExportOperations extends Construct {
  public readonly alarms: Alarm[];
  public readonly topic?: Topic;
  public readonly dashboard: Dashboard;

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

    if (props.alarmEmail) {
      // CloudWatch publishes an alarm's notification as its service principal, for that alarm (aws:SourceArn):
      // the topic policy (which replaces SNS's default policy) and the topic's key must allow it, for these
      // alarms of this account only.
      // https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger
      // https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services
      const cloudWatch = new ServicePrincipal('cloudwatch.amazonaws.com');
      const account = { 'aws:SourceAccount': Stack.of(this).account };
      // CloudWatch cannot publish to a topic encrypted with the AWS managed SNS key: a key of its own. Its
      // policy admits CloudWatch for alarms of this account and region: naming the alarms themselves would
      // make the key depend on the alarms, which depend on its topic (a cycle CloudFormation refuses).
      const key = new Key(this, 'AlarmTopicKey', {
        enableKeyRotation: true,
        description: 'ml-exports alarm topic',
      });
      key.addToResourcePolicy(
        new PolicyStatement({
          principals: [cloudWatch],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
          conditions: {
            StringEquals: account,
            ArnLike: {
              'aws:SourceArn': Stack.of(this).formatArn({
                service: 'cloudwatch',
                resource: 'alarm',
                resourceName: '*',
                arnFormat: ArnFormat.COLON_RESOURCE_NAME,
              }),
            },
          },
        }),
      );
      this.topic = new Topic(this, 'AlarmTopic', {
        masterKey: key,
        enforceSSL: true,
        displayName: 'ml-exports alarms',
      });
      this.topic.addToResourcePolicy(
        new PolicyStatement({
          principals: [cloudWatch],
          actions: ['sns:Publish'],
          resources: [this.topic.topicArn],
          conditions: { StringEquals: account, ArnLike: { 'aws:SourceArn': this.alarms.map((a) => a.alarmArn) } },
        }),
      );
      this.topic.addSubscription(new EmailSubscription(props.alarmEmail));
      for (const alarm of this.alarms) alarm.addAlarmAction(new SnsAction(this.topic));
    }

    // One metric per outcome, and the export duration, from the finalize-export log lines.
    const outcomeMetric = (outcome: string) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: `Exports${pascal(outcome)}`,
        statistic: 'Sum',
        period,
      });
    for (const outcome of OUTCOMES) {
      new MetricFilter(this, `Exports${pascal(outcome)}Filter`, {
        logGroup: props.finalizeLogGroup,
        filterPattern: FilterPattern.all(
          FilterPattern.stringValue('$.message', '=', 'Export ended'),
          FilterPattern.stringValue('$.outcome', '=', outcome),
        ),
        metricNamespace: METRIC_NAMESPACE,
        metricName: `Exports${pascal(outcome)}`,
        metricValue: '1',
      });
    }
    new MetricFilter(this, 'ExportDurationFilter', {
      logGroup: props.finalizeLogGroup,
      filterPattern: FilterPattern.all(
        FilterPattern.stringValue('$.message', '=', 'Export ended'),
        FilterPattern.numberValue('$.durationSeconds', '>=', 0),
      ),
      metricNamespace: METRIC_NAMESPACE,
      metricName: 'ExportDurationSeconds',
      metricValue: '$.durationSeconds',
    });
    const exportDuration = (statistic: string) =>
      new Metric({
        namespace: METRIC_NAMESPACE,
        metricName: 'ExportDurationSeconds',
        statistic,
        period: Duration.hours(1),
      });

    this.dashboard = new Dashboard(this, 'Dashboard', {
      // Dashboard names are unique per account across regions: the region keeps two deployments apart.
      dashboardName: `${Stack.of(this).stackName}-ml-exports-${Stack.of(this).region}`,
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
                expression: 'failed + timedOut',
                usingMetrics: { failed: outcomeMetric('FAILED'), timedOut: outcomeMetric('TIMED_OUT') },
                period: Duration.days(1),
                label: 'failed or timed out',
              }),
            ],
          }),
        ],
      ],
    });
  }
}

function pascal(outcome: string): string {
  return outcome
    .toLowerCase()
    .split('_')
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
}
