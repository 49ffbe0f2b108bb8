import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MlExportsStack } from '../../app/ml-exports-stack';
import { definitionFromTemplate } from '../../local/assembly';
import { example, TRANSFORM_ID, newApp, synth, expectPutEventsOn, allStates } from './helpers';

describe('the clean-up of ended runs', () => {
  const { template } = synth(example);
  const rules = template.findResources('AWS::Events::Rule');
  const ruleId = Object.keys(rules).find((id) => id.startsWith('WorkflowStoppedRunCleanupRule'))!;
  const fnId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
    id.startsWith('WorkflowStoppedRunCleanupCancelStoppedRun'),
  )!;
  const smRef = { Ref: expect.stringMatching(/^WorkflowStateMachine/) };
  const dlqArn = {
    'Fn::GetAtt': [expect.stringMatching(/^WorkflowStoppedRunCleanupDeadLettersQueue/), 'Arn'],
  };
  const executionPrefix = {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':states:us-east-1:111122223333:execution:',
        { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowStateMachine/), 'Name'] },
        ':',
      ],
    ],
  };

  it("matches only this state machine's own executions that were stopped, timed out or failed, not its Map children", () => {
    expect(rules[ruleId].Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: [smRef],
        status: ['ABORTED', 'TIMED_OUT', 'FAILED'],
        executionArn: [{ prefix: executionPrefix }],
      },
    });
    expect(rules[ruleId].Properties.EventBusName).toBeUndefined();
  });

  it('invokes the clean-up function with retries, then keeps what failed in an encrypted dead-letter queue', () => {
    expect(rules[ruleId].Properties.Targets).toEqual([
      {
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Id: expect.any(String),
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: dlqArn },
      },
    ]);
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowStoppedRunCleanupDeadLettersQueue'), 'Arn'],
          },
        },
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 1_209_600,
    });
    // EventBridge may put the rule's undelivered events in the queue, for this rule only.
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: 'sqs:SendMessage',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [ruleId, 'Arn'] } } },
          }),
        ]),
      },
    });
  });

  it("is told the state machine, its bus and source, and the catalog's placeholder values as Prepare Run is", () => {
    const created = synth({
      createOutputBucket: true,
      glueExports: [{ name: 'labels', transformId: TRANSFORM_ID, outputS3Prefix: 'glue/labels/' }],
    }).template;
    const envOf = (prefix: string) =>
      Object.entries(created.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))![1]
        .Properties.Environment.Variables;
    const env = envOf('WorkflowStoppedRunCleanupCancelStoppedRun');
    expect(env).toMatchObject({
      ML_EXPORTS_OUTPUT_BUCKET: { Ref: expect.stringMatching(/^OutputBucket/) },
      STATE_MACHINE_ARN: smRef,
      EVENT_SOURCE: 'ml-exports',
      EVENT_BUS: {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111122223333:event-bus/default'],
        ],
      },
    });
    const catalogEnv = Object.fromEntries(
      Object.entries(env).filter(([k]) => !['STATE_MACHINE_ARN', 'EVENT_BUS', 'EVENT_SOURCE'].includes(k)),
    );
    expect(catalogEnv).toEqual(envOf('WorkflowPrepareRun'));
  });

  it('is made for a Personalize-only configuration too (its runs need their events), without Glue permissions', () => {
    const personalizeOnly = synth({ ...example, glueExports: [] }).template;
    const fn = Object.keys(personalizeOnly.findResources('AWS::Lambda::Function')).filter((id) =>
      id.startsWith('WorkflowStoppedRunCleanupCancelStoppedRun'),
    );
    expect(fn).toHaveLength(1);
    const statements = Object.entries(personalizeOnly.findResources('AWS::IAM::Policy'))
      .filter(([id]) => id.startsWith('WorkflowStoppedRunCleanupCancelStoppedRunRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as { Action: unknown }[]);
    expect(JSON.stringify(statements)).not.toMatch(/glue:/);
    expect(JSON.stringify(statements)).toMatch(/personalize:DescribeDatasetExportJob/);
  });

  it('keeps scheduled starts the scheduler could not make in a dead-letter queue of their own', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: {
        DeadLetterConfig: {
          Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowScheduleDeadLettersQueue'), 'Arn'] },
        },
      },
    });
  });
});

describe('configuration variants', () => {
  it('sends events to a named bus and grants putEvents on it only', () => {
    const { template } = synth({ ...example, eventBusName: 'ml-events', eventSource: 'acme.ml' });
    const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
    expect(allStates(definition)['Emit Run Event'].Parameters).toEqual({
      Entries: [
        {
          'Detail.$': '$.event.detail',
          'DetailType.$': '$.event.detailType',
          EventBusName: 'arn:aws:events:us-east-1:111122223333:event-bus/ml-events',
          Source: 'acme.ml',
        },
      ],
    });
    expectPutEventsOn(template, 'ml-events');
    // Summarize Run delivers held events to the same bus, named by its ARN.
    expect(allStates(definition)['Summarize Run'].Parameters).toMatchObject({
      Payload: { events: { eventBusName: 'arn:aws:events:us-east-1:111122223333:event-bus/ml-events' } },
    });
  });

  it('gives the state machine time for every wave of configured exports', () => {
    const glueExports = Array.from({ length: 25 }, (_, i) => ({
      name: `l${i}`,
      transformId: `tfm-${i}`,
      outputS3Prefix: `s3://bucket/l${i}/`,
    }));
    const { stack } = synth({ ...example, glueExports, personalizeExports: [], maxConcurrency: 10 });
    // 25 exports, 10 at a time: 3 waves of up to 12 h + 1 h each, plus a day.
    expect(stack.workflow.runTimeout.toSeconds()).toBe(3 * (43_200 + 3600) + 86_400);
  });

  it('creates no schedule when none is configured', () => {
    const { schedule, scheduleTimeZone, ...rest } = example;
    expect([schedule, scheduleTimeZone]).toEqual([expect.any(String), expect.any(String)]);
    synth(rest).template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('with polling.strategy "backoff", passes it to the run and grants no ListDatasetExportJobs', () => {
    const { stack, template } = synth({ ...example, polling: { strategy: 'backoff' } });
    expect(stack.workflow._polling.strategy).toBe('backoff');
    expect(JSON.stringify(template.toJSON())).toMatch(/personalize:CreateDatasetExportJob/);
    expect(JSON.stringify(template.toJSON())).not.toMatch(/ListDatasetExportJobs/);
  });

  it('needs no Personalize permissions for a Glue-only configuration', () => {
    const { template } = synth({ ...example, personalizeExports: [] });
    expect(JSON.stringify(template.toJSON())).not.toMatch(/personalize:|iam:PassRole/);
  });

  it('synthesizes without an account or region (no credentials needed)', () => {
    const stack = new MlExportsStack(newApp(), 'Agnostic', { config: example, configSource: 'test' });
    expect(Template.fromStack(stack).findResources('AWS::StepFunctions::StateMachine')).not.toEqual({});
  });
});

describe('event schemas', () => {
  const { template } = synth(example);

  it('publishes one OpenAPI schema per detail-type in a registry', () => {
    template.resourceCountIs('AWS::EventSchemas::Registry', 1);
    const schemas = Object.values(template.findResources('AWS::EventSchemas::Schema')).map(
      (r) => r.Properties,
    );
    expect(schemas.map((p) => p.SchemaName).sort()).toEqual([
      'MLExportFailed',
      'MLExportRunCompleted',
      'MLExportRunRejected',
      'MLExportRunSkipped',
      'MLExportRunStopped',
      'MLExportStopped',
      'MLExportSucceeded',
      'MLExportTimedOut',
    ]);
    for (const p of schemas) {
      expect(p.Type).toBe('OpenApi3');
      const doc = JSON.parse(p.Content) as {
        info: Record<string, string>;
        components: { schemas: Record<string, unknown> };
      };
      expect(doc.info['x-amazon-events-source']).toBe('ml-exports');
      expect(Object.keys(doc.components.schemas)).toEqual(['AWSEvent', p.SchemaName]);
    }
  });
});

describe('operations', () => {
  const { template } = synth({ ...example, alarmEmail: 'ml-team@example.com' });

  it('alarms on failed, timed-out, aborted and throttled executions, and on messages in the dead-letter queues', () => {
    for (const metric of [
      'ExecutionsFailed',
      'ExecutionsTimedOut',
      'ExecutionsAborted',
      'ExecutionThrottled',
    ]) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/States',
        MetricName: metric,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
      });
    }
    for (const queue of ['StoppedRunCleanupDeadLetters', 'ScheduleDeadLetters']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [
          {
            Name: 'QueueName',
            Value: { 'Fn::GetAtt': [Match.stringLikeRegexp(`^Workflow${queue}Queue`), 'QueueName'] },
          },
        ],
        Threshold: 1,
        AlarmActions: [{ Ref: Match.stringLikeRegexp('AlarmTopic') }],
      });
    }
    template.resourceCountIs('AWS::CloudWatch::Alarm', 6);
  });

  it('notifies the configured address through a KMS-encrypted, TLS-only topic CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ml-team@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    const alarmArns = Object.keys(template.findResources('AWS::CloudWatch::Alarm')).map((id) => ({
      'Fn::GetAtt': [id, 'Arn'],
    }));
    // A topic policy replaces SNS's default one: it must let CloudWatch publish, for these alarms only.
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: { 'aws:SourceArn': alarmArns },
            },
          }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':cloudwatch:us-east-1:111122223333:alarm:*'],
                  ],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it("counts export outcomes and durations from this workflow's own export events, per state machine", () => {
    const rules = template.findResources('AWS::Events::Rule');
    const [ruleId, rule] = Object.entries(rules).find(([id]) =>
      id.startsWith('WorkflowOperationsExportEventsRule'),
    )!;
    expect(rule.Properties.EventPattern).toEqual({
      source: ['ml-exports'],
      'detail-type': ['ML Export Succeeded', 'ML Export Failed', 'ML Export Timed Out', 'ML Export Stopped'],
      detail: { executionArn: [{ prefix: expect.objectContaining({ 'Fn::Join': expect.any(Array) }) }] },
    });
    const [logGroupId, logGroup] = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(
      ([id]) => id.startsWith('WorkflowOperationsExportEvents'),
    )!;
    expect(logGroup.Properties.LogGroupName).toMatch(/^\/aws\/events\/ml-exports\//);
    expect(rule.Properties.Targets).toEqual([
      {
        Arn: {
          'Fn::Join': [
            '',
            [
              'arn:',
              { Ref: 'AWS::Partition' },
              ':logs:us-east-1:111122223333:log-group:',
              { Ref: logGroupId },
            ],
          ],
        },
        Id: expect.any(String),
      },
    ]);
    // The policy document is JSON text joined with the log group's and rule's references.
    const [policy] = Object.values(template.findResources('AWS::Logs::ResourcePolicy'));
    const policyText = JSON.stringify(policy.Properties.PolicyDocument);
    expect(policyText).toContain('{\\"Service\\":\\"events.amazonaws.com\\"}');
    expect(policyText).toContain('[\\"logs:CreateLogStream\\",\\"logs:PutLogEvents\\"]');
    expect(policyText).toContain(`{"Fn::GetAtt":["${ruleId}","Arn"]}`);
    expect(policyText).toContain(`{"Ref":"${logGroupId}"}`);
    template.hasResourceProperties('AWS::Logs::Transformer', {
      LogGroupIdentifier: { Ref: logGroupId },
      TransformerConfig: [
        { ParseJSON: {} },
        {
          AddKeys: {
            Entries: [
              {
                Key: 'stateMachine',
                Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^WorkflowStateMachine'), 'Name'] },
                OverwriteIfExists: true,
              },
            ],
          },
        },
      ],
    });
    const dimensions = [{ Key: 'StateMachine', Value: '$.stateMachine' }];
    for (const [outcome, name] of [
      ['SUCCEEDED', 'ExportsSucceeded'],
      ['FAILED', 'ExportsFailed'],
      ['TIMED_OUT', 'ExportsTimedOut'],
      ['STOPPED', 'ExportsStopped'],
    ]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        LogGroupName: { Ref: logGroupId },
        FilterPattern: `{ $.detail.outcome = "${outcome}" }`,
        MetricTransformations: [
          { MetricNamespace: 'MlExports', MetricName: name, MetricValue: '1', Dimensions: dimensions },
        ],
      });
    }
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.detail.durationSeconds >= 0 }',
      MetricTransformations: [
        {
          MetricNamespace: 'MlExports',
          MetricName: 'ExportDurationSeconds',
          MetricValue: '$.detail.durationSeconds',
          Dimensions: dimensions,
        },
      ],
    });
    // Nothing is counted from log lines any more (a retried Finalize Export would count twice).
    expect(JSON.stringify(template.findResources('AWS::Logs::MetricFilter'))).not.toMatch(/Export ended/);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Dashboard names are unique per account, across regions: CloudFormation makes one up.
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', { DashboardName: Match.absent() });
  });

  it('creates alarms without a topic when no address is configured', () => {
    const plain = synth(example).template;
    plain.resourceCountIs('AWS::CloudWatch::Alarm', 6);
    plain.resourceCountIs('AWS::SNS::Topic', 0);
  });

  it('passes cdk-nag with the alarm topic', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new MlExportsStack(app, 'Ops', {
      config: { ...example, alarmEmail: 'ml-team@example.com' },
      configSource: 'test',
      env: { region: 'us-east-1', account: '111122223333' },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});
