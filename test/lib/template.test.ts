import { Match } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { buildApp } from '../../app/app';
import { definitionFromTemplate } from '../../local/assembly';
import {
  example,
  TRANSFORM_ID,
  DATASET_ARN,
  ROLE_ARN,
  newApp,
  synth,
  expectPutEventsOn,
  PRIVATE_SSE_S3_BUCKET,
  allStates,
} from './helpers';

describe('the example configuration', () => {
  const { stack, template } = synth(example);
  const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
  const states = allStates(definition);

  it('synthesizes with zero unacknowledged cdk-nag AwsSolutions findings', () => {
    const app = newApp();
    buildApp(app);
    expect(() => app.synth()).not.toThrow();
  });

  it('defines a Standard state machine with tracing and full logging to a vended log group with retention', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/'),
      RetentionInDays: 30,
    });
  });

  it('is a valid ASL definition bounded in time', () => {
    const { isValid, errors } = validator(structuredClone(definition) as never);
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
    // A backstop: one wave of up to 10 exports (the 2 configured, or 10 given by an operator) of up to
    // 12 h each, plus an hour per export and a day per run.
    expect(definition.TimeoutSeconds).toBe(43_200 + 3600 + 86_400);
  });

  it('has eight arm64 Node.js 24 functions with tracing, a timeout and their own log groups', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(8);
    for (const [id, fn] of Object.entries(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        // The clean-up of an ended run may look at thousands of exports' child executions and jobs.
        Timeout: id.startsWith('WorkflowStoppedRunCleanup') ? 300 : 30,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
    expect(
      Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } })),
    ).toHaveLength(10);
  });

  it('runs each export in a child execution of a Distributed Map with bounded concurrency', () => {
    expect(states['Export Each']).toMatchObject({
      Type: 'Map',
      ItemsPath: '$.exports',
      MaxConcurrency: 10,
      ItemSelector: { 'export.$': '$$.Map.Item.Value', 'run.$': '$.run' },
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' } },
    });
    // One export's failure never stops another: the Map tolerates failed children (Step Functions'
    // default of 0 % would stop every sibling), and an event EventBridge refuses past its retries is held
    // in the export's result for Summarize Run to deliver.
    expect(states['Export Each']).toMatchObject({ ToleratedFailurePercentage: 100 });
    expect(states['Export Each']).not.toHaveProperty('Catch');
    expect(states['Emit Export Event'].Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.emitError', Next: 'Hold Export Event' },
    ]);
    expect(states['Hold Export Event']).toMatchObject({
      Type: 'Pass',
      Parameters: { 'heldEvent.$': '$.event', 'name.$': '$.result.name', 'outcome.$': '$.result.outcome' },
      End: true,
    });
    expect(states['Summarize Run'].Parameters).toMatchObject({
      Payload: { events: { source: 'ml-exports', eventBusName: 'default' } },
    });
  });

  it('caps the Map at the sum of the per-service quotas and passes them to Prepare Run to pace the list', () => {
    const { template: paced } = synth({
      ...example,
      maxConcurrency: 100,
      maxConcurrentGlueExports: 3,
      maxConcurrentPersonalizeExports: 2,
    });
    const pacedStates = allStates(definitionFromTemplate(paced.toJSON() as never, 'us-east-1').definition);
    expect(pacedStates['Export Each'].MaxConcurrency).toBe(5);
    expect(pacedStates['Prepare Run'].Parameters).toMatchObject({
      Payload: { limits: { maxConcurrency: 5, glue: 3, personalize: 2 } },
    });
  });

  it('polls with a Wait whose seconds come from the status task, in a loop of three states', () => {
    for (const kind of ['Glue', 'Personalize']) {
      expect(states[`Wait For ${kind} Export`]).toMatchObject({
        Type: 'Wait',
        SecondsPath: '$.tracking.waitSeconds',
        Next: `Get ${kind} Export Status`,
      });
      expect(states[`Get ${kind} Export Status`]).toMatchObject({
        Type: 'Task',
        Next: `${kind} Export Done?`,
      });
      expect(states[`${kind} Export Done?`]).toMatchObject({
        Type: 'Choice',
        Choices: [
          { Variable: '$.tracking.outcome', StringEquals: 'RUNNING', Next: `Wait For ${kind} Export` },
          // A redriven run's Glue task run cancelled by the clean-up of the stopped run: a new one.
          ...(kind === 'Glue'
            ? [{ Variable: '$.tracking.outcome', StringEquals: 'RESTART', Next: 'Start Glue Export' }]
            : []),
        ],
        Default: 'Finalize Export',
      });
    }
  });

  it('retries transient errors with full jitter and a cap, including Lambda throttling, and catches the rest', () => {
    const lambdaTasks = Object.entries(states).filter(([, s]) =>
      String(s.Resource).includes(':states:::lambda:invoke'),
    );
    expect(lambdaTasks).toHaveLength(8);
    for (const [, task] of lambdaTasks) {
      expect(task.Retry).toEqual([
        expect.objectContaining({
          ErrorEquals: expect.arrayContaining([
            'Lambda.TooManyRequestsException',
            'Lambda.ServiceException',
            'Lambda.Unknown',
            'Sandbox.Timedout',
          ]),
          JitterStrategy: 'FULL',
          MaxDelaySeconds: 30,
        }),
        expect.objectContaining({
          ErrorEquals: ['TransientServiceError'],
          JitterStrategy: 'FULL',
          MaxDelaySeconds: 120,
          MaxAttempts: 6,
        }),
      ]);
      expect(task.TimeoutSeconds).toBe(120);
    }
    for (const name of [
      'Start Glue Export',
      'Get Glue Export Status',
      'Start Personalize Export',
      'Get Personalize Export Status',
    ]) {
      expect(states[name].Catch).toEqual([
        { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Finalize Export' },
      ]);
    }
    // Only refusals are caught at the run level; a transient failure past its retries fails the execution
    // at Prepare Run (before any job), where a redrive resumes.
    // No ResultPath: the error replaces the state, so any JSON input, even 42 or [], can be rejected
    // with an event ($.error could not be set on 42).
    expect(states['Prepare Run'].Catch).toEqual([
      {
        ErrorEquals: ['InvalidExecutionInput', 'RunSkipped', 'States.DataLimitExceeded'],
        Next: 'Describe Rejected Run',
      },
    ]);
    expect(states['Describe Rejected Run'].Parameters).toMatchObject({
      Payload: { 'error.$': '$' },
    });
  });

  it('ends a skipped run in a Succeed state, so that it trips no failed-executions alarm', () => {
    expect(states['Run Outcome?']).toMatchObject({
      Choices: [
        { Variable: '$.runOutcome', StringEquals: 'SUCCEEDED', Next: 'Run Succeeded' },
        { Variable: '$.runOutcome', StringEquals: 'SKIPPED', Next: 'Run Skipped' },
      ],
      Default: 'Run Failed',
    });
    expect(states['Run Skipped'].Type).toBe('Succeed');
  });

  it('emits events natively with putEvents on the default bus, from the event built by the handlers', () => {
    for (const name of ['Emit Export Event', 'Emit Run Event']) {
      expect(states[name]).toMatchObject({
        Resource: 'arn:aws:states:::events:putEvents',
        Parameters: {
          Entries: [
            { 'Detail.$': '$.event.detail', 'DetailType.$': '$.event.detailType', Source: 'ml-exports' },
          ],
        },
        ResultPath: null,
        Retry: [
          {
            ErrorEquals: ['States.ALL'],
            IntervalSeconds: 2,
            BackoffRate: 2,
            MaxAttempts: 8,
            MaxDelaySeconds: 60,
            JitterStrategy: 'FULL',
          },
        ],
      });
      expect((states[name].Parameters as { Entries: object[] }).Entries[0]).not.toHaveProperty(
        'EventBusName',
      );
    }
    expectPutEventsOn(template, 'default');
  });

  it('passes the polling settings and limits to the Prepare Run task, and no exports', () => {
    expect((states['Prepare Run'].Parameters as { Payload: Record<string, unknown> }).Payload).toEqual({
      'input.$': '$$.Execution.Input',
      polling: {
        initialWaitSeconds: 30,
        backoffRate: 2,
        maxWaitSeconds: 360,
        maxExportSeconds: 43_200,
        strategy: 'history',
      },
      execution: {
        'name.$': '$$.Execution.Name',
        'arn.$': '$$.Execution.Id',
        'startTime.$': '$$.Execution.StartTime',
      },
      limits: { maxConcurrency: 10, glue: 30, personalize: 5, runTimeoutSeconds: 133_200 },
    });
  });

  it('bundles the validated exports as the catalog of the functions that look exports up', () => {
    expect(stack.workflow._exportCatalog).toEqual([
      {
        type: 'glue',
        name: 'customer-matches',
        transformId: TRANSFORM_ID,
        outputS3Prefix: 's3://example-ml-exports/glue-labels/customer-matches/',
      },
      {
        type: 'personalize',
        name: 'interactions',
        datasetArn: DATASET_ARN,
        roleArn: ROLE_ARN,
        outputS3Prefix: 's3://example-ml-exports/personalize/interactions/',
        ingestionMode: 'BULK',
      },
    ]);
  });

  it('writes the Map results to the results bucket, which the state machine may write and Summarize Run read', () => {
    const bucketId = stack.getLogicalId(stack.workflow.runResultsBucket.node.defaultChild as never);
    expect(states['Export Each'].ResultWriter).toEqual({
      Resource: 'arn:aws:states:::s3:putObject',
      Parameters: { Bucket: bucketId.toLowerCase(), Prefix: 'map-runs' },
    });
    expect(states['Summarize Run'].Parameters).toMatchObject({
      Payload: { 'results.$': '$.results' },
    });
    const statements = (role: string) =>
      Object.values(
        template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
      ).flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties.PolicyDocument
            .Statement,
      );
    const summarizeRole = stack.getLogicalId(
      stack.workflow.functions.summarizeRun.role!.node.defaultChild as never,
    );
    expect(statements(summarizeRole)).toContainEqual({
      Effect: 'Allow',
      Action: 's3:GetObject',
      Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/map-runs/*']] },
    });
    const machineRole = stack.getLogicalId(stack.workflow.stateMachine.role.node.defaultChild as never);
    // The ResultWriter's actions on its prefix only (CDK's own grant would cover the whole bucket).
    const writes = statements(machineRole).filter((st) =>
      ([] as unknown[]).concat((st as { Action: unknown }).Action).includes('s3:PutObject'),
    );
    expect(writes).toEqual([
      {
        Effect: 'Allow',
        Action: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/map-runs/*']] },
      },
    ]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...PRIVATE_SSE_S3_BUCKET,
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ ExpirationInDays: 30, Status: 'Enabled' })],
      },
    });
  });

  it('schedules runs with input {} through EventBridge Scheduler', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 3 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: {
        Arn: { Ref: Match.stringLikeRegexp('StateMachine') },
        Input: '{}',
        RoleArn: Match.anyValue(),
      },
    });
  });

  it('exposes what it made', () => {
    expect(Object.keys(stack.workflow.functions)).toEqual([
      'prepareRun',
      'startGlueExport',
      'checkGlueExport',
      'startPersonalizeExport',
      'checkPersonalizeExport',
      'finalizeExport',
      'summarizeRun',
    ]);
    expect(stack.resolve(stack.workflow.schedule?.scheduleArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/Schedule/), 'Arn'],
    });
    template.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('StateMachine') } });
  });
});
