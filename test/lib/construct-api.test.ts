/**
 * The construct's public API as a CDK user meets it: enums equal to the contract's sets, the grant, metric and
 * on* methods, alarm actions, a bus of another account, and the region and account checks.
 */
import { Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SqsQueue } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import {
  EXPORT_DETAIL_TYPES,
  INGESTION_MODES,
  POLLING_STRATEGIES,
  RUN_DETAIL_TYPES,
} from '../../contract/names';
import {
  ExportEventType,
  ExportLocation,
  IngestionMode,
  MlExportWorkflow,
  PollingStrategy,
  type MlExportWorkflowProps,
} from '../../lib';
import { DATASET_ARN, newApp, TRANSFORM_ID } from './helpers';

const ENV = { region: 'us-east-1', account: '111122223333' };
const OTHER_ACCOUNT_BUS = 'arn:aws:events:us-east-1:444455556666:event-bus/central';

function workflowIn(stack: Stack, id = 'Exports', props: Partial<MlExportWorkflowProps> = {}) {
  const bucket = new Bucket(stack, `${id}Bucket`);
  return new MlExportWorkflow(stack, id, {
    glueExports: [
      {
        name: 'labels',
        transformId: TRANSFORM_ID,
        output: ExportLocation.fromS3Uri('s3://labels-bucket/labels'),
      },
    ],
    personalizeExports: [
      {
        name: 'interactions',
        datasetArn: DATASET_ARN,
        output: ExportLocation.fromBucket(bucket, '/personalize/interactions/'),
        ingestionMode: IngestionMode.BULK,
      },
    ],
    pollingStrategy: PollingStrategy.BACKOFF,
    ...props,
  });
}

const newStack = (env: { region?: string; account?: string } | undefined = ENV) =>
  new Stack(newApp(), 'Consumer', { env });

describe('the closed sets', () => {
  it('are the contract sets, value for value', () => {
    expect(Object.values(IngestionMode).sort()).toEqual([...INGESTION_MODES].sort());
    expect(Object.values(PollingStrategy).sort()).toEqual([...POLLING_STRATEGIES].sort());
    expect(Object.values(ExportEventType).sort()).toEqual(
      [...Object.values(EXPORT_DETAIL_TYPES), ...Object.values(RUN_DETAIL_TYPES)].sort(),
    );
  });
});

describe('a workflow in a consumer stack', () => {
  const stack = newStack();
  const workflow = workflowIn(stack);
  const other = workflowIn(stack, 'Others');
  const operator = new Role(stack, 'Operator', { assumedBy: new ServicePrincipal('lambda.amazonaws.com') });
  workflow.grantStartExecution(operator);
  const queue = new Queue(stack, 'Failures');
  workflow.onExportFailed('ExportFailed', { target: new SqsQueue(queue) });
  workflow.onRunCompleted('RunCompleted', { eventPattern: { detail: { status: ['FAILED'] } } });
  const topic = new Topic(stack, 'Pager');
  workflow.addAlarmAction(new SnsAction(topic));
  const template = Template.fromStack(stack);
  const smOf = (w: MlExportWorkflow) => stack.resolve(w.stateMachine.stateMachineName);

  it('places a key prefix in its bucket with one slash, and lets Personalize write there', () => {
    expect(workflow._exportCatalog.map((e) => e.outputS3Prefix)).toEqual([
      's3://labels-bucket/labels/',
      expect.stringMatching(/^s3:\/\/\{\{ml-exports:value-\d+\}\}\/personalize\/interactions\/$/),
    ]);
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'personalize.amazonaws.com' },
            Action: 's3:PutObject',
            Resource: {
              'Fn::Join': [
                '',
                [
                  { 'Fn::GetAtt': [Match.stringLikeRegexp('^ExportsBucket'), 'Arn'] },
                  '/personalize/interactions/*',
                ],
              ],
            },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': ENV.account } }),
          }),
        ]),
      },
    });
  });

  it('grants starting a run of its state machine', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: stack.getLogicalId(operator.node.defaultChild as never) }],
      PolicyDocument: {
        Statement: [
          Match.objectLike({
            Action: 'states:StartExecution',
            Resource: { Ref: Match.stringLikeRegexp('^ExportsStateMachine') },
          }),
        ],
      },
    });
  });

  it('gives export metrics with a dimension of its own state machine', () => {
    const metric = (m: {
      namespace: string;
      metricName: string;
      dimensions?: unknown;
      statistic: string;
    }) => ({
      namespace: m.namespace,
      metricName: m.metricName,
      dimensions: stack.resolve(m.dimensions),
      statistic: m.statistic,
    });
    expect(metric(workflow.metricExportsFailed())).toEqual({
      namespace: 'MlExports',
      metricName: 'ExportsFailed',
      dimensions: { StateMachine: smOf(workflow) },
      statistic: 'Sum',
    });
    expect(metric(workflow.metricExportsSucceeded()).metricName).toBe('ExportsSucceeded');
    expect(metric(workflow.metricExportsTimedOut()).metricName).toBe('ExportsTimedOut');
    expect(metric(workflow.metricExportDuration())).toMatchObject({
      metricName: 'ExportDurationSeconds',
      statistic: 'Average',
    });
    expect(metric(other.metricExportsFailed()).dimensions).toEqual({ StateMachine: smOf(other) });
    expect(smOf(other)).not.toEqual(smOf(workflow));
    // The metric filters count with the same dimension, from each workflow's own events.
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      MetricTransformations: [
        Match.objectLike({
          MetricName: 'ExportsFailed',
          Dimensions: [{ Key: 'StateMachine', Value: '$.stateMachine' }],
        }),
      ],
    });
  });

  it('makes rules for its own events only, on its bus, with the options given', () => {
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { 'detail-type': ['ML Export Failed'] } },
    });
    expect(Object.keys(rules)).toEqual([expect.stringMatching(/^ExportsExportFailed/)]);
    const [failed] = Object.values(rules);
    expect(failed.Properties.EventPattern).toEqual({
      source: ['ml-exports'],
      'detail-type': ['ML Export Failed'],
      detail: {
        executionArn: [
          {
            prefix: {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':states:us-east-1:111122223333:execution:',
                  smOf(workflow),
                  ':',
                ],
              ],
            },
          },
        ],
      },
    });
    expect(failed.Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [expect.stringMatching(/^Failures/), 'Arn'] } }),
    ]);
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({
        'detail-type': ['ML Export Run Completed'],
        detail: Match.objectLike({ status: ['FAILED'] }),
      }),
    });
    // Two workflows with the same source on one bus stay apart: each pattern names its own runs.
    expect(stack.resolve(other.eventPattern(ExportEventType.EXPORT_FAILED).detail)).not.toEqual(
      stack.resolve(workflow.eventPattern(ExportEventType.EXPORT_FAILED).detail),
    );
    expect(workflow.eventPattern().detailType).toEqual(Object.values(ExportEventType));
  });

  it('sends every alarm to the actions added', () => {
    const alarms = Object.entries(template.findResources('AWS::CloudWatch::Alarm')).filter(([id]) =>
      id.startsWith('Exports'),
    );
    expect(alarms).toHaveLength(workflow.alarms.length);
    expect(workflow.alarms.length).toBeGreaterThanOrEqual(5);
    for (const [, alarm] of alarms)
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: stack.getLogicalId(topic.node.defaultChild as never) },
      ]);
  });

  it('takes alarm actions as a prop', () => {
    const s = newStack();
    const w = workflowIn(s, 'Exports', { alarmActions: [new SnsAction(new Topic(s, 'Topic'))] });
    const actions = Object.values(Template.fromStack(s).findResources('AWS::CloudWatch::Alarm')).map(
      (a) => a.Properties.AlarmActions,
    );
    expect(actions).toHaveLength(w.alarms.length);
    for (const a of actions) expect(a).toHaveLength(1);
  });
});

describe('a bus of another account', () => {
  it('sends there, and makes no rule there: on*() says where the rule goes', () => {
    const stack = newStack();
    const workflow = workflowIn(stack, 'Exports', {
      eventBus: EventBus.fromEventBusArn(stack, 'Central', OTHER_ACCOUNT_BUS),
    });
    expect(() => workflow.onExportFailed('Failed')).toThrow(
      `ml-exports: eventBus ${OTHER_ACCOUNT_BUS} is a bus of account 444455556666: a rule on it is that account's to make, with workflow.eventPattern() as its pattern. Or give forwardedEventBus, the bus of this account that bus forwards the events to.`,
    );
    const template = Template.fromStack(stack);
    // No metric counting on a bus where this stack cannot make rules.
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    expect(JSON.stringify(template.findResources('AWS::Events::Rule'))).not.toContain('central');
  });

  it("in a stack without an account, treats an imported bus ARN as possibly another account's, and says so", () => {
    const stack = newStack({});
    const workflow = workflowIn(stack, 'Exports', {
      eventBus: EventBus.fromEventBusArn(stack, 'Central', OTHER_ACCOUNT_BUS),
    });
    expect(() => workflow.onRunCompleted('Done')).toThrow(
      /may be a bus of another account \(444455556666; the stack's account is not known at synth\)/,
    );
    Annotations.fromStack(stack).hasInfo(
      '/Consumer/Exports',
      Match.stringLikeRegexp('may be another account'),
    );
    Template.fromStack(stack).resourceCountIs('AWS::Logs::MetricFilter', 0);
  });

  it('with forwardedEventBus, counts and makes rules on the bus of this account', () => {
    const stack = newStack();
    const local = new EventBus(stack, 'Local');
    const workflow = workflowIn(stack, 'Exports', {
      eventBus: EventBus.fromEventBusArn(stack, 'Central', OTHER_ACCOUNT_BUS),
      forwardedEventBus: local,
    });
    workflow.onExportSucceeded('Succeeded');
    const template = Template.fromStack(stack);
    const localRef = { Ref: stack.getLogicalId(local.node.defaultChild as never) };
    const rules = Object.values(template.findResources('AWS::Events::Rule')).filter((r) =>
      JSON.stringify(r.Properties.EventPattern).includes('ML Export'),
    );
    expect(rules).toHaveLength(2); // the metrics' counting rule and the user's
    for (const rule of rules) expect(rule.Properties.EventBusName).toEqual(localRef);
  });
});

describe('a problem with a bucket named at deployment', () => {
  it('names the bucket by its construct path, not by a stand-in', () => {
    const stack = newStack();
    const bucket = new Bucket(stack, 'New');
    expect(
      () =>
        new MlExportWorkflow(stack, 'Exports', {
          personalizeExports: [
            { name: 'i', datasetArn: DATASET_ARN, output: ExportLocation.fromBucket(bucket, 'p/i/') },
            { name: 'all', datasetArn: DATASET_ARN, output: ExportLocation.fromBucket(bucket) },
          ],
        }),
    ).toThrow(
      /personalizeExports\[1\]\.output: got "s3:\/\/<bucket Consumer\/New>\/"; expected a prefix of its own, .* containing export "i"'s s3:\/\/<bucket Consumer\/New>\/p\/i\//,
    );
  });
});

describe('forwardedEventBus', () => {
  it('is refused with the events on a bus of this account, where no event would reach it', () => {
    const stack = newStack();
    expect(() => workflowIn(stack, 'Exports', { forwardedEventBus: new EventBus(stack, 'Fwd') })).toThrow(
      'forwardedEventBus: got "Consumer/Fwd"; expected nothing while eventBus is a bus of this account',
    );
  });

  it("is refused when it is another account's or region's bus", () => {
    const stack = newStack();
    const back = 'arn:aws:events:us-west-2:444455556666:event-bus/back';
    expect(() =>
      workflowIn(stack, 'Exports', {
        eventBus: EventBus.fromEventBusArn(stack, 'Central', OTHER_ACCOUNT_BUS),
        forwardedEventBus: EventBus.fromEventBusArn(stack, 'Back', back),
      }),
    ).toThrow(
      `forwardedEventBus: got "${back}"; expected a bus of the stack's account 111122223333 and region us-east-1`,
    );
  });
});

describe('region and account checks', () => {
  const problem = (
    props: Partial<MlExportWorkflowProps>,
    env: { region?: string; account?: string } = ENV,
  ) => {
    try {
      workflowIn(newStack(env), 'Exports', props);
    } catch (err) {
      return (err as Error).message;
    }
    return undefined;
  };
  const personalize = (more: object) => [
    {
      name: 'interactions',
      datasetArn: DATASET_ARN,
      output: ExportLocation.fromS3Uri('s3://b-x/p/'),
      ...more,
    },
  ];

  it('refuses a dataset of another region or account, a role of another account and a key of another region', () => {
    const stack = newStack();
    const message = (() => {
      try {
        new MlExportWorkflow(stack, 'Exports', {
          personalizeExports: [
            {
              name: 'a',
              datasetArn: DATASET_ARN.replace('us-east-1', 'eu-west-1'),
              output: ExportLocation.fromS3Uri('s3://b-x/a/'),
            },
            {
              name: 'b',
              datasetArn: DATASET_ARN.replace('111122223333', '444455556666'),
              output: ExportLocation.fromS3Uri('s3://b-x/b/'),
            },
            ...personalize({
              name: 'c',
              role: Role.fromRoleArn(stack, 'Foreign', 'arn:aws:iam::444455556666:role/Writer'),
              encryptionKey: Key.fromKeyArn(stack, 'Far', 'arn:aws:kms:eu-west-1:111122223333:key/k-1'),
            }),
          ],
        });
      } catch (err) {
        return (err as Error).message;
      }
      return undefined;
    })();
    expect(message?.split('\n')).toEqual([
      'Invalid MlExportWorkflow props:',
      `personalizeExports[0].datasetArn: got "${DATASET_ARN.replace('us-east-1', 'eu-west-1')}"; expected a dataset in the stack's region us-east-1`,
      `personalizeExports[1].datasetArn: got "${DATASET_ARN.replace('111122223333', '444455556666')}"; expected a dataset of the stack's account 111122223333`,
      `personalizeExports[2].role: got "arn:aws:iam::444455556666:role/Writer"; expected a role of the stack's account 111122223333`,
      `personalizeExports[2].encryptionKey: got "arn:aws:kms:eu-west-1:111122223333:key/k-1"; expected a key in the stack's region us-east-1`,
    ]);
  });

  it('accepts a key of another account in the region, with a note on its key policy', () => {
    const stack = newStack();
    const key = Key.fromKeyArn(stack, 'Shared', 'arn:aws:kms:us-east-1:444455556666:key/k-2');
    new MlExportWorkflow(stack, 'Exports', {
      personalizeExports: personalize({ encryptionKey: key }),
    });
    Annotations.fromStack(stack).hasInfo(
      '/Consumer/Exports',
      Match.stringLikeRegexp('encryptionKey is a key of account 444455556666'),
    );
  });

  it('refuses a log key or bus of another region', () => {
    const stack = newStack();
    expect(() =>
      workflowIn(stack, 'Exports', {
        logEncryptionKey: Key.fromKeyArn(stack, 'Logs', 'arn:aws:kms:eu-west-1:111122223333:key/k-3'),
        eventBus: EventBus.fromEventBusArn(stack, 'Bus', 'arn:aws:events:eu-west-1:111122223333:event-bus/b'),
      }),
    ).toThrow(
      /logEncryptionKey: .*expected a key in the stack's region us-east-1\neventBus: .*expected an event bus in the stack's region us-east-1/,
    );
  });

  it('without a stack environment, checks nothing of the kind and says so', () => {
    expect(
      problem(
        {
          personalizeExports: [
            {
              name: 'a',
              datasetArn: DATASET_ARN.replace('us-east-1', 'eu-west-1'),
              output: ExportLocation.fromS3Uri('s3://b-x/a/'),
            },
          ],
        },
        {},
      ),
    ).toBeUndefined();
    const stack = newStack({});
    workflowIn(stack);
    Annotations.fromStack(stack).hasInfo(
      '/Consumer/Exports',
      Match.stringLikeRegexp('region or account is not known at synth'),
    );
  });
});
