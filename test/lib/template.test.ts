import { Match } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { buildApp } from '../../lib/app';
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
        // The clean-up of a stopped run may look at thousands of exports' task runs.
        Timeout: id.startsWith('WorkflowStoppedRunCleanup') ? 300 : 30,
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Environment: { Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }) },
      });
    }
    expect(
      Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } })),
    ).toHaveLength(9);
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
    expect(stack.workflow.exportCatalog).toEqual([
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
    const bucketId = stack.getLogicalId(stack.workflow.runResults.bucket.node.defaultChild as never);
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
    expect(statements(machineRole)).toContainEqual(
      expect.objectContaining({
        Action: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
      }),
    );
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

  describe('least privilege', () => {
    const policies = template.findResources('AWS::IAM::Policy');
    const statementsOf = (rolePrefix: string) =>
      Object.entries(policies)
        .filter(([id]) => id.startsWith(`Workflow${rolePrefix}`))
        .flatMap(([, p]) =>
          (p.Properties.PolicyDocument.Statement as Record<string, unknown>[]).filter(
            (s) => !String(s.Action).startsWith('xray:'),
          ),
        )
        .map((s) => ({
          Action: s.Action,
          Resource: s.Resource,
          ...(s.Condition ? { Condition: s.Condition } : {}),
        }));
    const transformArn = {
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, `:glue:us-east-1:111122223333:mlTransform/${TRANSFORM_ID}`],
      ],
    };
    const jobArns = 'arn:aws:personalize:us-east-1:111122223333:dataset-export-job/mlx-*';
    const logs = expect.objectContaining({ Action: ['logs:CreateLogStream', 'logs:PutLogEvents'] });

    it('lets the Glue start task start and list task runs (adoption, history) of the configured transform only', () => {
      expect(statementsOf('StartGlueExportRole')).toEqual([
        logs,
        { Action: ['glue:StartExportLabelsTaskRun', 'glue:GetMLTaskRuns'], Resource: transformArn },
      ]);
    });

    it('lets the Glue status task read, and cancel at the time limit, task runs of the configured transform only', () => {
      expect(statementsOf('GetGlueExportStatusRole')).toEqual([
        logs,
        { Action: ['glue:GetMLTaskRun', 'glue:CancelMLTaskRun'], Resource: transformArn },
      ]);
    });

    it('lets the clean-up of stopped runs list and cancel task runs of the configured transform only', () => {
      expect(statementsOf('StoppedRunCleanupCancelStoppedRunRole')).toEqual([
        logs,
        { Action: ['glue:GetMLTaskRuns', 'glue:CancelMLTaskRun'], Resource: transformArn },
      ]);
      // No other function may cancel task runs but the Glue status task (at an export's time limit).
      const cancellers = Object.entries(policies)
        .filter(([, p]) =>
          (p.Properties.PolicyDocument.Statement as { Action: unknown }[]).some((st) =>
            [st.Action].flat().includes('glue:CancelMLTaskRun'),
          ),
        )
        .map(([id]) => id.replace(/RoleDefaultPolicy.*$/, ''));
      expect(cancellers.sort()).toEqual([
        'WorkflowGetGlueExportStatus',
        'WorkflowStoppedRunCleanupCancelStoppedRun',
      ]);
    });

    it('lets the Personalize start task create and describe its own jobs and pass only the configured role to Personalize', () => {
      expect(statementsOf('StartPersonalizeExportRole')).toEqual([
        logs,
        { Action: 'personalize:CreateDatasetExportJob', Resource: [DATASET_ARN, jobArns] },
        { Action: 'personalize:DescribeDatasetExportJob', Resource: jobArns },
        {
          Action: 'iam:PassRole',
          Resource: ROLE_ARN,
          Condition: { StringEquals: { 'iam:PassedToService': 'personalize.amazonaws.com' } },
        },
        // History-aware polling: the action has no resource type.
        { Action: 'personalize:ListDatasetExportJobs', Resource: '*' },
      ]);
    });

    it('acknowledges the "*" of ListDatasetExportJobs with its reason on the Personalize start task only', () => {
      const reasons = (fn: 'startPersonalize' | 'getPersonalize') =>
        stack.workflow.functions[fn]
          .role!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .map((m) => Object.values(m.data as Record<string, string>)[0]);
      expect(reasons('startPersonalize')).toContainEqual(
        expect.stringMatching(
          /^personalize:ListDatasetExportJobs \(read-only job metadata, for history-aware polling\) has no resource type/,
        ),
      );
      expect(reasons('getPersonalize').join()).not.toMatch(/ListDatasetExportJobs/);
    });

    it('lets the Personalize status task describe its own jobs only', () => {
      expect(statementsOf('GetPersonalizeExportStatusRole')).toEqual([
        logs,
        { Action: 'personalize:DescribeDatasetExportJob', Resource: jobArns },
      ]);
    });

    it('gives Finalize Export nothing but its logs, and Summarize Run the Map results to read and the bus to deliver held events to', () => {
      expect(statementsOf('FinalizeExportRole')).toEqual([logs]);
      expect(statementsOf('SummarizeRunRole')).toEqual([
        logs,
        {
          Action: 's3:GetObject',
          Resource: {
            'Fn::Join': [
              '',
              [{ 'Fn::GetAtt': [expect.stringMatching(/^WorkflowRunResultsBucket/), 'Arn'] }, '/map-runs/*'],
            ],
          },
        },
        {
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111122223333:event-bus/default'],
            ],
          },
        },
      ]);
    });

    it('lets Prepare Run list and describe executions of this state machine only, to find overlapping runs', () => {
      expect(statementsOf('PrepareRunRole')).toEqual([logs]);
      expect(statementsOf('PrepareRunSeesOtherRuns')).toEqual([
        {
          Action: 'states:ListExecutions',
          Resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
        },
        {
          Action: 'states:DescribeExecution',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':states:us-east-1:111122223333:execution:',
                { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowStateMachine/), 'Name'] },
                ':*',
              ],
            ],
          },
        },
      ]);
    });

    it('attaches no managed policy to any role', () => {
      for (const role of Object.values(template.findResources('AWS::IAM::Role')))
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    });

    it('uses "*" only for actions without resource-level permissions (X-Ray, log delivery, listing export jobs)', () => {
      for (const policy of Object.values(policies)) {
        for (const st of policy.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Resource: unknown;
        }[]) {
          if (st.Resource === '*') {
            for (const action of [st.Action].flat())
              expect(action).toMatch(
                /^(xray:|personalize:ListDatasetExportJobs$|logs:(Create|Get|Update|Delete|List)LogDeliver|logs:(PutResourcePolicy|DescribeResourcePolicies|DescribeLogGroups)$)/,
              );
          }
        }
      }
    });
  });

  it('exposes what it made', () => {
    expect(Object.keys(stack.workflow.functions)).toEqual([
      'prepareRun',
      'startGlue',
      'getGlue',
      'startPersonalize',
      'getPersonalize',
      'finalizeExport',
      'summarizeRun',
    ]);
    expect(stack.resolve(stack.workflow.schedule?.scheduleArn)).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/Schedule/), 'Arn'],
    });
    template.hasOutput('StateMachineArn', { Value: { Ref: Match.stringLikeRegexp('StateMachine') } });
  });
});
