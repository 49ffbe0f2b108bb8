import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { MlExportsStack } from '../../lib/ml-exports-stack';
import { definitionFromTemplate } from '../../local/assembly';
import { example, TRANSFORM_ID, newApp, synth, expectPutEventsOn, allStates } from './helpers';

describe('the clean-up of stopped runs', () => {
  const { template } = synth(example);
  const ruleId = Object.keys(template.findResources('AWS::Events::Rule'))[0];
  const fnId = Object.keys(template.findResources('AWS::Lambda::Function')).find((id) =>
    id.startsWith('WorkflowStoppedRunCleanupCancelStoppedRun'),
  )!;
  const smRef = { Ref: expect.stringMatching(/^WorkflowStateMachine/) };

  it("matches only this state machine's own executions that were stopped (ABORTED) or timed out, not its Map children", () => {
    const rules = template.findResources('AWS::Events::Rule');
    expect(Object.keys(rules)).toHaveLength(1);
    expect(rules[ruleId].Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        stateMachineArn: [smRef],
        status: ['ABORTED', 'TIMED_OUT'],
        executionArn: [
          {
            prefix: {
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
            },
          },
        ],
      },
    });
    expect(rules[ruleId].Properties.EventBusName).toBeUndefined();
  });

  it('invokes the clean-up function, with retries and an event age limit instead of a DLQ', () => {
    const rule = template.findResources('AWS::Events::Rule')[ruleId];
    expect(rule.Properties.Targets).toEqual([
      {
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        Id: expect.any(String),
        RetryPolicy: { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 },
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
    });
  });

  it("is given the export catalog's placeholder values as Prepare Run is, to work out a run's exports the same way", () => {
    const created = synth({
      createOutputBucket: true,
      glueExports: [{ name: 'labels', transformId: TRANSFORM_ID, outputS3Prefix: 'glue/labels/' }],
    }).template;
    const envOf = (prefix: string) =>
      Object.entries(created.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(prefix))![1]
        .Properties.Environment.Variables;
    expect(envOf('WorkflowStoppedRunCleanupCancelStoppedRun').ML_EXPORTS_OUTPUT_BUCKET).toEqual({
      Ref: expect.stringMatching(/^WorkflowOutputBucket/),
    });
    expect(envOf('WorkflowStoppedRunCleanupCancelStoppedRun')).toEqual(envOf('WorkflowPrepareRun'));
  });

  it('is not made when no Glue export is configured (Personalize has no stop call)', () => {
    const personalizeOnly = synth({ ...example, glueExports: [] }).template;
    personalizeOnly.resourceCountIs('AWS::Events::Rule', 0);
    expect(
      Object.keys(personalizeOnly.findResources('AWS::Lambda::Function')).filter((id) =>
        id.startsWith('WorkflowStoppedRunCleanup'),
      ),
    ).toEqual([]);
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

  it("sends events to another account's bus by its ARN, from the state machine and from Summarize Run", () => {
    const busArn = 'arn:aws:events:us-east-1:444455556666:event-bus/ml-events';
    const { template } = synth({ ...example, eventBusName: busArn });
    const states = allStates(definitionFromTemplate(template.toJSON() as never, 'us-east-1').definition);
    expect(states['Emit Run Event'].Parameters).toMatchObject({ Entries: [{ EventBusName: busArn }] });
    // A name would be looked up in Summarize Run's own account, where its grant does not apply.
    expect(states['Summarize Run'].Parameters).toMatchObject({
      Payload: { events: { eventBusName: busArn } },
    });
    const grants = Object.values(template.findResources('AWS::IAM::Policy')).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
          .Properties.PolicyDocument.Statement,
    );
    expect(grants.filter((st) => st.Action === 'events:PutEvents').map((st) => st.Resource)).toEqual([
      busArn,
      busArn,
    ]);
  });

  it('gives the state machine time for every wave of configured exports', () => {
    const glueExports = Array.from({ length: 25 }, (_, i) => ({
      name: `l${i}`,
      transformId: `tfm-${i}`,
      outputS3Prefix: `s3://bucket/l${i}/`,
    }));
    const { stack } = synth({ ...example, glueExports, personalizeExports: [], maxConcurrency: 10 });
    // 25 exports, 10 at a time: 3 waves of up to 12 h + 1 h each, plus a day.
    expect(stack.workflow.runTimeoutSeconds).toBe(3 * (43_200 + 3600) + 86_400);
  });

  it('creates no schedule when none is configured', () => {
    const { schedule, scheduleTimeZone, ...rest } = example;
    expect([schedule, scheduleTimeZone]).toEqual([expect.any(String), expect.any(String)]);
    synth(rest).template.resourceCountIs('AWS::Scheduler::Schedule', 0);
  });

  it('with polling.strategy "backoff", passes it to the run and grants no ListDatasetExportJobs', () => {
    const { stack, template } = synth({ ...example, polling: { strategy: 'backoff' } });
    expect(stack.workflow.polling.strategy).toBe('backoff');
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

  it('alarms on failed, timed-out, aborted and throttled executions', () => {
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
    template.resourceCountIs('AWS::CloudWatch::Alarm', 4);
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

  it('counts export outcomes and durations from the finalize-export logs, and shows them on a dashboard', () => {
    for (const name of ['ExportsSucceeded', 'ExportsFailed', 'ExportsTimedOut']) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [{ MetricNamespace: 'MlExports', MetricName: name, MetricValue: '1' }],
      });
    }
    template.hasResourceProperties('AWS::Logs::MetricFilter', {
      FilterPattern: '{ ($.message = "Export ended") && ($.durationSeconds >= 0) }',
      MetricTransformations: [
        {
          MetricNamespace: 'MlExports',
          MetricName: 'ExportDurationSeconds',
          MetricValue: '$.durationSeconds',
        },
      ],
    });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    // Dashboard names are unique per account across regions: the name carries the region.
    template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: 'Test-ml-exports-us-east-1',
    });
    const agnostic = synth(example, {} as never).template;
    agnostic.hasResourceProperties('AWS::CloudWatch::Dashboard', {
      DashboardName: { 'Fn::Join': ['', ['Test-ml-exports-', { Ref: 'AWS::Region' }]] },
    });
  });

  it('creates alarms without a topic when no address is configured', () => {
    const plain = synth(example).template;
    plain.resourceCountIs('AWS::CloudWatch::Alarm', 4);
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
