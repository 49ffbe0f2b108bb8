import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import validator from 'asl-validator';
import { AwsSolutionsChecks } from 'cdk-nag';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildApp } from '../../lib/app';
import { configToProps } from '../../lib/config';
import {
  HISTORY_EVENT_BUDGET,
  HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
  HISTORY_EVENTS_PER_POLL,
  RUN_PAYLOAD_BUDGET_BYTES,
  runPayloadBytes,
  worstCaseExportHistoryEvents,
} from '../../lib/ml-export-workflow';
import { MlExportsStack } from '../../lib/ml-exports-stack';
import { maxChecks, maxPolls } from '../../lambda/shared/polling';
import { POLLING_LIMITS } from '../../lambda/shared/validation';
import { definitionFromTemplate } from '../../local/assembly';
import { HISTORY_EVENTS_BY_STATE } from '../../local/run';

const example = JSON.parse(
  fs.readFileSync(path.join(__dirname, '../../config/example.json'), 'utf8'),
) as Record<string, unknown>;
const TRANSFORM_ID = 'tfm-0123456789abcdef0123456789abcdef';
const DATASET_ARN = 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS';
const ROLE_ARN = 'arn:aws:iam::111122223333:role/PersonalizeExportRole';

/** Lambda bundling is skipped: these tests read the template, not the code. */
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

function synth(config: unknown, env = { region: 'us-east-1', account: '111122223333' }) {
  const stack = new MlExportsStack(newApp(), 'Test', { config, configSource: 'test', env });
  return { stack, template: Template.fromStack(stack) };
}

/** The state machine may put events on this bus (and the test fails if the statement is missing). */
function expectPutEventsOn(template: Template, bus: string): void {
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: {
      Statement: Match.arrayWith([
        Match.objectLike({
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, `:events:us-east-1:111122223333:event-bus/${bus}`],
            ],
          },
        }),
      ]),
    },
  });
}

/** Properties every bucket of the stack has: S3-managed encryption and all public access blocked. */
const PRIVATE_SSE_S3_BUCKET = {
  BucketEncryption: {
    ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
  },
  PublicAccessBlockConfiguration: {
    BlockPublicAcls: true,
    BlockPublicPolicy: true,
    IgnorePublicAcls: true,
    RestrictPublicBuckets: true,
  },
};

type State = Record<string, unknown> & { Type: string };
function allStates(definition: Record<string, unknown>): Record<string, State> {
  const out: Record<string, State> = {};
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      out[name] = state;
      const nested = state.ItemProcessor as { States: Record<string, State> } | undefined;
      if (nested) visit(nested.States);
    }
  };
  visit(definition.States as Record<string, State>);
  return out;
}

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
    const { schedule, ...rest } = example;
    expect(schedule).toBeDefined();
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
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' } }),
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

describe('optional resources (off by default)', () => {
  const created = {
    createOutputBucket: true,
    createPersonalizeRole: true,
    glueExports: [{ name: 'labels', transformId: TRANSFORM_ID, outputS3Prefix: 'glue/labels/' }],
    personalizeExports: [
      {
        name: 'interactions',
        datasetArn: DATASET_ARN,
        outputS3Prefix: 'personalize/interactions/',
        kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
      },
    ],
  };
  const { stack, template } = synth(created);

  it('creates no output bucket (only the results bucket) and no Personalize role for the example configuration', () => {
    const plain = synth(example).template;
    expect(Object.keys(plain.findResources('AWS::S3::Bucket'))).toEqual([
      expect.stringMatching(/^WorkflowRunResults/),
    ]);
    expect(
      Object.keys(
        plain.findResources('AWS::IAM::Role', {
          Properties: {
            AssumeRolePolicyDocument: {
              Statement: [{ Principal: { Service: 'personalize.amazonaws.com' } }],
            },
          },
        }),
      ),
    ).toEqual([]);
  });

  it('creates an encrypted, private, TLS-only, versioned output bucket with access logs that Personalize may write to', () => {
    // The output bucket and its access log bucket, beside the results bucket.
    template.resourceCountIs('AWS::S3::Bucket', 3);
    template.hasResourceProperties('AWS::S3::Bucket', {
      ...PRIVATE_SSE_S3_BUCKET,
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: Match.objectLike({ LogFilePrefix: 'output-bucket/' }),
    });
    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'personalize.amazonaws.com' },
            Action: ['s3:PutObject', 's3:ListBucket'],
            Condition: { StringEquals: { 'aws:SourceAccount': '111122223333' } },
          }),
        ]),
      },
    });
  });

  it('creates the Personalize role trusted only for this account, writing only under the export prefix', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          {
            Action: 'sts:AssumeRole',
            Effect: 'Allow',
            Principal: { Service: 'personalize.amazonaws.com' },
            Condition: {
              StringEquals: { 'aws:SourceAccount': '111122223333' },
              ArnLike: {
                'aws:SourceArn': {
                  'Fn::Join': [
                    '',
                    ['arn:', { Ref: 'AWS::Partition' }, ':personalize:us-east-1:111122223333:*'],
                  ],
                },
              },
            },
          },
        ],
      },
    });
    const roleId = stack.getLogicalId(stack.workflow.personalizeRole!.role.node.defaultChild as never);
    const bucketRef = {
      Ref: stack.getLogicalId(stack.workflow.outputBucket!.bucket.node.defaultChild as never),
    };
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId }],
      PolicyDocument: {
        Statement: [
          {
            Action: 's3:PutObject',
            Effect: 'Allow',
            Resource: {
              'Fn::Join': [
                '',
                ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef, '/personalize/interactions/*'],
              ],
            },
          },
          {
            Action: 's3:ListBucket',
            Effect: 'Allow',
            Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', bucketRef]] },
          },
          {
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Effect: 'Allow',
            Resource: 'arn:aws:kms:us-east-1:111122223333:key/abcd',
          },
        ],
      },
    });
  });

  it('places key prefixes in the created bucket and passes only the created role', () => {
    // The catalog names them by placeholder; the functions that read it get the deployed values.
    const configured = stack.workflow.exportCatalog as unknown as Record<string, string>[];
    const bucketId = stack.getLogicalId(stack.workflow.outputBucket!.bucket.node.defaultChild as never);
    const roleId = stack.getLogicalId(stack.workflow.personalizeRole!.role.node.defaultChild as never);
    expect(configured.map((e) => e.outputS3Prefix)).toEqual([
      's3://{{ml-exports:output-bucket}}/glue/labels/',
      's3://{{ml-exports:output-bucket}}/personalize/interactions/',
    ]);
    expect(configured[1].roleArn).toBe('{{ml-exports:personalize-role-arn}}');
    for (const fn of ['prepareRun', 'startGlue', 'startPersonalize', 'finalizeExport'] as const) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Role: {
          'Fn::GetAtt': [
            stack.getLogicalId(stack.workflow.functions[fn].role!.node.defaultChild as never),
            'Arn',
          ],
        },
        Environment: {
          Variables: Match.objectLike({
            ML_EXPORTS_OUTPUT_BUCKET: { Ref: bucketId },
            ML_EXPORTS_PERSONALIZE_ROLE_ARN: { 'Fn::GetAtt': [roleId, 'Arn'] },
          }),
        },
      });
    }
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: 'iam:PassRole', Resource: { 'Fn::GetAtt': [roleId, 'Arn'] } }),
        ]),
      },
    });
  });

  it('passes cdk-nag with the optional resources too', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new MlExportsStack(app, 'Created', {
      config: created,
      configSource: 'test',
      env: { region: 'us-east-1', account: '111122223333' },
    });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('encrypts the logs with the configured key', () => {
    const keyArn = 'arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const logGroups = synth({ ...example, logKmsKeyArn: keyArn }).template.findResources(
      'AWS::Logs::LogGroup',
    );
    expect(Object.values(logGroups).map((g) => g.Properties.KmsKeyId)).toEqual(Array(9).fill(keyArn));
  });

  it('still needs a role ARN and an s3:// URI when nothing is created', () => {
    expect(() => synth({ ...created, createOutputBucket: false, createPersonalizeRole: false })).toThrow(
      /glueExports\[0\]\.outputS3Prefix: got "glue\/labels\/"; expected an S3 URI[\s\S]*personalizeExports\[0\]\.roleArn: got nothing; expected an IAM role ARN/,
    );
  });
});

describe('invalid configurations fail the synth with one message naming each problem', () => {
  const failure = (config: unknown, env?: { region: string; account: string }) => {
    try {
      synth(config, env);
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('expected the configuration to be rejected');
  };

  it('lists every bad export field with its value and what is expected', () => {
    const message = failure({
      ...example,
      glueExports: [{ name: 'bad name', transformId: 'has space', outputS3Prefix: 's3://B/x' }],
      personalizeExports: [
        {
          name: 'p',
          datasetArn: 'arn:aws:personalize:::dataset',
          roleArn: 'role',
          outputS3Prefix: 's3://bucket/x/',
          ingestionMode: 'SOME',
          extra: 1,
        },
      ],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      'glueExports[0].name: got "bad name"; expected 1-40 letters, digits, "-" or "_", starting with a letter or digit',
      'glueExports[0].outputS3Prefix: got "s3://B/x"; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included',
      'glueExports[0].transformId: got "has space"; expected a Glue ML transform id of 1-255 characters without whitespace',
      'personalizeExports[0].extra: got 1; expected no such field (allowed: type, name, datasetArn, roleArn, outputS3Prefix, ingestionMode, kmsKeyArn)',
      'personalizeExports[0].datasetArn: got "arn:aws:personalize:::dataset"; expected a Personalize dataset ARN "arn:aws:personalize:<region>:<account>:dataset/<dataset group>/<DATASET TYPE>" of at most 256 characters',
      'personalizeExports[0].roleArn: got "role"; expected an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters',
      'personalizeExports[0].ingestionMode: got "SOME"; expected one of BULK, PUT, ALL',
    ]);
  });

  it.each([
    [
      { ...example, glueExports: [], personalizeExports: [] },
      'glueExports + personalizeExports: got []; expected at least one Glue or Personalize export',
    ],
    [
      { ...example, schedule: 'every day' },
      'schedule: got "every day"; expected an EventBridge Scheduler expression',
    ],
    [
      { ...example, eventSource: 'aws.ml' },
      'eventSource: got "aws.ml"; expected 1-256 characters, not starting with "aws."',
    ],
    [{ ...example, maxConcurrency: 0 }, 'maxConcurrency: got 0; expected a whole number from 1 to 10000'],
    [{ ...example, logRetentionDays: 31 }, 'logRetentionDays: got 31; expected one of 1, 3, 5, 7'],
    [
      { ...example, polling: { strategy: 'guess' } },
      'polling.strategy: got "guess"; expected "history" (time the checks from the export\'s past runs) or "backoff" (the backoff only)',
    ],
    [
      { ...example, polling: { initialWaitSeconds: 600, maxWaitSeconds: 60 } },
      'polling.maxWaitSeconds: got 60; expected at least initialWaitSeconds (600)',
    ],
    [
      { ...example, polling: { backoffRate: 0.5 } },
      'polling.backoffRate: got 0.5; expected a number from 1 to 10',
    ],
    [
      { ...example, polling: { maxExportSeconds: 1.5 } },
      'polling.maxExportSeconds: got 1.5; expected a whole number of seconds',
    ],
    [{ ...example, polling: { everySeconds: 5 } }, 'polling.everySeconds: got 5; expected no such field'],
    [{ ...example, glueExports: 'tfm-1' }, 'glueExports: got "tfm-1"; expected an array'],
    [{ ...example, exports: [] }, 'exports: got []; expected no such field'],
    [{ ...example, eventBusName: 'bad bus!' }, 'eventBusName: got "bad bus!"; expected an event bus name'],
    [{ ...example, createOutputBucket: 'yes' }, 'createOutputBucket: got "yes"; expected true or false'],
    [{ ...example, logKmsKeyArn: 'alias/logs' }, 'logKmsKeyArn: got "alias/logs"; expected a KMS key ARN'],
    [
      {
        ...example,
        glueExports: [...(example.glueExports as object[]), ...(example.glueExports as object[])],
      },
      'glueExports[1].name: got "customer-matches"; expected export names unique within a run (glueExports[0].name has it too)',
    ],
  ])('%#: %s', (config, expected) => {
    expect(failure(config)).toContain(expected);
  });

  it('reports every problem of every section in one synth, with the path as written in the file', () => {
    const message = failure({
      ...example,
      eventSource: 'aws.mine',
      schedule: 'rate(0 minutes)',
      scheduleTimeZone: 'Mars/Olympus',
      logRetentionDays: 2,
      polling: { initialWaitSeconds: 600, maxWaitSeconds: 60, backoffRate: 20 },
      glueExports: [{ name: 'g', transformId: 'tfm 1', outputS3Prefix: 's3://my..bucket/x/' }],
      personalizeExports: [
        {
          name: 'g',
          datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
          outputS3Prefix: 's3://192.168.1.1/x/',
        },
      ],
      allowedOutputS3Prefixes: ['s3://xn--bucket/x/', 's3://bucket//x/'],
    });
    expect(message.split('\n')).toEqual([
      'Invalid ml-exports configuration in test:',
      'schedule: got "rate(0 minutes)"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)" (a rate of at least 1)',
      'scheduleTimeZone: got "Mars/Olympus"; expected an IANA time zone such as "UTC" or "Europe/Berlin"',
      'logRetentionDays: got 2; expected one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653, 9999',
      'glueExports[0].outputS3Prefix: got "s3://my..bucket/x/"; expected an S3 URI whose bucket name has no two adjacent periods',
      'glueExports[0].transformId: got "tfm 1"; expected a Glue ML transform id of 1-255 characters without whitespace',
      'personalizeExports[0].outputS3Prefix: got "s3://192.168.1.1/x/"; expected an S3 URI whose bucket name is not an IP address',
      'personalizeExports[0].roleArn: got nothing; expected an IAM role ARN "arn:aws:iam::<12-digit account>:role/<name>" of at most 256 characters',
      'allowedOutputS3Prefixes[0]: got "s3://xn--bucket/x/"; expected an S3 URI whose bucket name does not start with "xn--" or "sthree-"',
      'allowedOutputS3Prefixes[1]: got "s3://bucket//x/"; expected an S3 prefix without empty, "." or ".." segments (no "//", "./" or "../")',
      'eventSource: got "aws.mine"; expected 1-256 characters, not starting with "aws."',
      'polling.backoffRate: got 20; expected a number from 1 to 10',
      'polling.maxWaitSeconds: got 60; expected at least initialWaitSeconds (600)',
    ]);
  });

  it('reports duplicate names across the Glue and Personalize lists at the later one', () => {
    const personalize = (example.personalizeExports as Record<string, unknown>[])[0];
    expect(
      failure({ ...example, personalizeExports: [{ ...personalize, name: 'customer-matches' }] }),
    ).toContain(
      'personalizeExports[0].name: got "customer-matches"; expected export names unique within a run (glueExports[0].name has it too)',
    );
  });

  it.each([
    ['rate(1 minutes)', 'a singular unit for 1'],
    ['rate(5 hour)', 'a plural unit above 1'],
    ['rate(-1 days)', ''],
    ['cron(0 3 * * *)', '6 cron fields, got 5'],
    ['cron(60 3 * * ? *)', 'minutes "60": values 0-59'],
    ['cron(0 24 * * ? *)', 'hours "24": values 0-23'],
    ['cron(0 3 32 * ? *)', 'day-of-month "32": values 1-31'],
    ['cron(0 3 ? 13 MON *)', 'month "13": values 1-12 or JAN-DEC'],
    ['cron(0 3 ? * FUN *)', 'day-of-week "FUN": values 1-7 or SUN-SAT'],
    ['cron(0 3 ? * MON#6 *)', 'day-of-week "MON#6": a day 1-7 or SUN-SAT and a week 1-5'],
    ['cron(0 3 * * ? 1969)', 'year "1969": values 1970-2199'],
    ['cron(0 ? * * ? *)', 'hours "?": "?" is only for the day fields'],
    ['cron(0 3 * * MON *)', '"?" in exactly one of day-of-month and day-of-week'],
    ['cron(0/0 3 * * ? *)', 'minutes "0/0": a step of at least 1'],
    ['at(2026-02-30T00:00:00)', 'a real date and time'],
    ['at(2026-01-01 00:00:00)', ''],
  ])('refuses the schedule %s', (schedule, why) => {
    expect(failure({ ...example, schedule })).toContain(
      `schedule: got "${schedule}"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)"${why ? ` (${why})` : '\n'}`.trimEnd(),
    );
  });

  it.each([
    'rate(1 minute)',
    'rate(15 minutes)',
    'rate(1 day)',
    'cron(0/15 8-18 ? * MON-FRI *)',
    'cron(0 3 L * ? *)',
    'cron(0 3 15W * ? 2026-2030)',
    'cron(0 3 ? * 6#3 *)',
    'cron(0 3 ? * FRIL *)',
    'cron(0 3 1,15 JAN,JUL ? *)',
    'at(2028-02-29T23:59:59)',
  ])('accepts the schedule %s', (schedule) => {
    expect(() =>
      configToProps({ ...example, schedule, scheduleTimeZone: 'Europe/Berlin' }, 'test'),
    ).not.toThrow();
  });

  it.each([
    'a-b',
    'ab',
    'Bucket',
    'bucket-',
    '10.0.0.1',
    'b..c',
    'xn--b',
    'sthree-b',
    'b-s3alias',
    'b--ol-s3',
    'b'.repeat(64),
  ])('refuses the bucket name %s', (bucket) => {
    const expected = bucket === 'a-b' ? undefined : 'outputS3Prefix: got';
    const run = () =>
      configToProps(
        {
          ...example,
          glueExports: [{ name: 'g', transformId: 't', outputS3Prefix: `s3://${bucket}/x/` }],
        },
        'test',
      );
    if (expected) expect(run).toThrow(expected);
    else expect(run).not.toThrow();
  });

  it('refuses polling so dense that one export could approach the 25,000-event history limit', () => {
    expect(
      failure({
        ...example,
        polling: { initialWaitSeconds: 1, backoffRate: 1, maxWaitSeconds: 1, maxExportSeconds: 86_400 },
      }),
    ).toContain(
      'polling: got {"initialWaitSeconds":1,"backoffRate":1,"maxWaitSeconds":1,"maxExportSeconds":86400,"strategy":"history"}; expected settings whose longest export (86402 start attempts and status checks, ~3888240 history events) stays under 20000 events',
    );
  });

  it('checks the final output path: a 164-character prefix without its slash would make a 257-character path', () => {
    const prefix = `s3://bucket/${'p'.repeat(164 - ', s3://bucket/'.length + 2)}`;
    expect(prefix).toHaveLength(164);
    const message = failure({
      ...example,
      personalizeExports: [
        { ...(example.personalizeExports as Record<string, unknown>[])[0], outputS3Prefix: prefix },
      ],
    });
    expect(message).toContain('personalizeExports[0].outputS3Prefix: got "s3://bucket/ppp');
    const personalize = (example.personalizeExports as Record<string, unknown>[])[0];
    expect(
      failure({ ...example, personalizeExports: [{ ...personalize, outputS3Prefix: prefix }] }),
    ).toContain(
      `; expected an S3 URI "s3://bucket/prefix/" of at most 164 characters, trailing slash included`,
    );
    // With the slash, 164 characters in all, it fits: 164 + 11 (date) + 80 (execution name) + 1 = 256.
    expect(() =>
      synth({
        ...example,
        personalizeExports: [{ ...personalize, outputS3Prefix: `${prefix.slice(0, 163)}/` }],
      }),
    ).not.toThrow();
  });

  it('checks allowedOutputS3Prefixes and bundles them with the catalog', () => {
    expect(
      failure({ ...example, allowedOutputS3Prefixes: ['s3://ok-bucket/x/', 'https://nope/'] }),
    ).toContain('allowedOutputS3Prefixes[1]: got "https://nope/"; expected an S3 URI');
    expect(failure({ ...example, allowedOutputS3Prefixes: ['s3://bkt/a/../c/'] })).toContain(
      'allowedOutputS3Prefixes[0]: got "s3://bkt/a/../c/"; expected an S3 prefix without empty, "." or ".." segments',
    );
    expect(failure({ ...example, allowedOutputS3Prefixes: 's3://b/' })).toContain(
      'allowedOutputS3Prefixes: got "s3://b/"; expected an array',
    );
    const { stack } = synth({ ...example, allowedOutputS3Prefixes: ['s3://adhoc/backfills'] });
    const catalog = JSON.parse(
      fs.readFileSync(
        path.join(App.of(stack)!.outdir, `${stack.workflow.node.addr}.export-catalog.json`),
        'utf8',
      ),
    ) as { allowedOutputS3Prefixes: string[] };
    expect(catalog.allowedOutputS3Prefixes).toEqual(['s3://adhoc/backfills/']);
  });

  it('refuses a dataset in another region than the stack', () => {
    expect(failure(example, { region: 'eu-west-1', account: '111122223333' })).toContain(
      `personalizeExports[0].datasetArn: got "${DATASET_ARN}"; expected a dataset in the stack's region eu-west-1`,
    );
  });

  it('prints the message, not a stack trace, when `cdk synth` runs the app on a bad file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ml-exports-config-'));
    const file = path.join(dir, 'bad.json');
    fs.writeFileSync(file, JSON.stringify({ ...example, schedule: 'rate(0 minutes)', maxConcurrency: 0 }));
    const run = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, '../../bin/app.ts')], {
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_OUTDIR: dir,
        CDK_CONTEXT_JSON: JSON.stringify({ 'mlExports:configFile': file, 'aws:cdk:bundling-stacks': [] }),
      },
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      `Invalid ml-exports configuration in ${file}:`,
      'schedule: got "rate(0 minutes)"; expected an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)" (a rate of at least 1)',
      'maxConcurrency: got 0; expected a whole number from 1 to 10000',
    ]);
  });

  it('names the file when it cannot be read or parsed', () => {
    const app = new App({
      context: { 'aws:cdk:bundling-stacks': [], 'mlExports:configFile': 'config/missing.json' },
    });
    expect(() => buildApp(app)).toThrow(
      /Cannot read the ml-exports configuration file .*config\/missing\.json/,
    );
    expect(() => configToProps([], 'x.json')).toThrow(
      'Invalid ml-exports configuration in x.json:\n(file): got []; expected a JSON object',
    );
  });
});

describe('execution history stays bounded', () => {
  // Worst case: every status check retried to the limit costs 45 events; each export adds at most 150
  // outside its checks. Synth refuses settings whose longest export could pass 20,000 of the 25,000.
  it('counts 45 events per check plus 150 per export, against a budget of 20,000 of the 25,000 allowed', () => {
    expect([HISTORY_EVENTS_PER_POLL, HISTORY_EVENTS_PER_EXPORT_OVERHEAD, HISTORY_EVENT_BUDGET]).toEqual([
      45, 150, 20_000,
    ]);
  });

  it('keeps the default 12-hour export at 129 start attempts and checks, at most about 5,900 events', () => {
    const defaults = {
      initialWaitSeconds: 30,
      backoffRate: 2,
      maxWaitSeconds: 360,
      maxExportSeconds: 43_200,
    };
    // 4 checks while the wait grows (30+60+120+240 = 450 s), then one per 360 s until 43,200 s.
    expect(maxPolls(defaults)).toBe(4 + Math.ceil((43_200 - 450) / 360));
    expect(maxPolls(defaults)).toBe(123);
    // Waiting for capacity shares the time limit but starts its own backoff: at most the 4 growing checks
    // the successful start and one for rounding more.
    expect(maxChecks(defaults)).toBe(123 + 4 + 2);
    expect(worstCaseExportHistoryEvents(defaults)).toBe(129 * 45 + 150);
  });

  it('accepts the longest export (7 days) with a 30-minute cap: 349 attempts and checks, at most about 15,900 events', () => {
    const week = {
      initialWaitSeconds: 30,
      backoffRate: 2,
      maxWaitSeconds: 1800,
      maxExportSeconds: POLLING_LIMITS.maxExportSeconds.max,
    };
    // 6 growing checks (30+60+120+240+480+960 = 1,890 s), then one per 1,800 s until 604,800 s.
    expect(maxPolls(week)).toBe(6 + Math.ceil((604_800 - 1890) / 1800));
    expect(maxChecks(week)).toBe(341 + 6 + 2);
    expect(worstCaseExportHistoryEvents(week)).toBe(349 * 45 + 150);
    expect(worstCaseExportHistoryEvents(week)).toBeLessThan(HISTORY_EVENT_BUDGET);
    expect(() => synth({ ...example, polling: week })).not.toThrow();
  });

  it('refuses the same 7 days with the 6-minute cap: 1,689 attempts and checks could cost about 76,200 events', () => {
    const dense = { initialWaitSeconds: 30, backoffRate: 2, maxWaitSeconds: 360, maxExportSeconds: 604_800 };
    expect(maxPolls(dense)).toBe(4 + Math.ceil((604_800 - 450) / 360));
    expect(worstCaseExportHistoryEvents(dense)).toBe(1689 * 45 + 150);
    expect(() => synth({ ...example, polling: dense })).toThrow(
      'expected settings whose longest export (1689 start attempts and status checks, ~76155 history events) stays under 20000 events',
    );
  });

  it('derives those bounds from the synthesized definition: the run has no loop, an export two loops of three states', () => {
    const { template } = synth(example);
    const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
    const retries = (s: State) =>
      ((s.Retry as { MaxAttempts: number }[] | undefined) ?? []).reduce((sum, r) => sum + r.MaxAttempts, 0);
    const worst = (s: State) => HISTORY_EVENTS_BY_STATE[s.Type] + 3 * retries(s);
    // The run (parent execution): every state at most once, whatever the number of exports.
    const runStates = Object.values(definition.States as Record<string, State>);
    expect(runStates.reduce((sum, s) => sum + worst(s), 2)).toBeLessThan(200);
    // One export (child execution): a check is Wait, Task and Choice, with the task's retries.
    const exportStates = (
      definition.States as Record<string, State & { ItemProcessor: { States: Record<string, State> } }>
    )['Export Each'].ItemProcessor.States;
    for (const kind of ['Glue', 'Personalize']) {
      const loop = [`Wait For ${kind} Export`, `Get ${kind} Export Status`, `${kind} Export Done?`].map(
        (n) => exportStates[n],
      );
      expect(loop.reduce((sum, s) => sum + worst(s), 0)).toBe(HISTORY_EVENTS_PER_POLL);
      // Waiting for capacity: Wait, the start again, and its Choice, counted as checks (maxChecks).
      const capacityLoop = [
        `Wait For ${kind} Capacity`,
        `Start ${kind} Export`,
        `${kind} Export Started?`,
      ].map((n) => exportStates[n]);
      expect(capacityLoop.reduce((sum, s) => sum + worst(s), 0)).toBe(HISTORY_EVENTS_PER_POLL);
      const once = [
        'Export Type?',
        `Start ${kind} Export`,
        `${kind} Export Started?`,
        'Finalize Export',
        'Emit Export Event',
        'Export Done',
      ].map((n) => exportStates[n]);
      expect(once.reduce((sum, s) => sum + worst(s), 2)).toBeLessThanOrEqual(
        HISTORY_EVENTS_PER_EXPORT_OVERHEAD,
      );
    }
  });

  describe('a configuration of thousands of exports', () => {
    /** n Glue and n Personalize exports (a dataset group each), in the created bucket and role. */
    const many = (n: number) => ({
      ...example,
      createOutputBucket: true,
      createPersonalizeRole: true,
      glueExports: Array.from({ length: n }, (_, i) => ({
        name: `labels-${i}`,
        transformId: `tfm-${String(i).padStart(32, '0')}`,
        outputS3Prefix: `glue/labels-${i}/`,
      })),
      personalizeExports: Array.from({ length: n }, (_, i) => ({
        name: `dataset-${i}`,
        datasetArn: `arn:aws:personalize:us-east-1:111122223333:dataset/group-${i}/INTERACTIONS`,
        outputS3Prefix: `personalize/dataset-${i}/`,
      })),
    });
    const TYPES = ['INTERACTIONS', 'ITEMS', 'USERS'];
    const small = synth(many(1));
    const large = synth(many(2500));
    /** The definition, less the run timeout (sized for the waves of exports, so it differs). */
    const definitionOf = (t: Template) =>
      JSON.stringify(definitionFromTemplate(t.toJSON() as never, 'us-east-1').definition).replace(
        /"(runTimeoutSeconds|TimeoutSeconds)":\d{4,}/g,
        '"$1":0',
      );
    const bytes = (t: Template) => JSON.stringify(t.toJSON()).length;

    it('keeps the state machine definition the same whatever the number of exports', () => {
      expect(large.stack.workflow.exportCatalog).toHaveLength(5000);
      expect(definitionOf(large.template)).toBe(definitionOf(small.template));
    });

    it('keeps the template and every policy small: beyond 40 resources a grant uses the narrowest wildcard', () => {
      expect(bytes(large.template)).toBeLessThan(bytes(small.template) + 5_000);
      const policies = Object.values(large.template.findResources('AWS::IAM::Policy')).map(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } })
            .Properties.PolicyDocument,
      );
      // IAM's limit for a role's inline policies is 10,240 characters.
      for (const doc of policies) expect(JSON.stringify(doc).length).toBeLessThan(4_000);
      const resourcesOf = (action: string) =>
        policies
          .flatMap((d) => d.Statement)
          .filter((st) => ([] as unknown[]).concat(st.Action).includes(action))
          .flatMap((st) => ([] as unknown[]).concat(st.Resource));
      expect(resourcesOf('glue:StartExportLabelsTaskRun')).toEqual([
        {
          'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':glue:us-east-1:111122223333:mlTransform/*']],
        },
      ]);
      // 2,500 dataset groups are more than 40: the account's datasets in the region.
      expect(resourcesOf('personalize:CreateDatasetExportJob')).toEqual([
        'arn:aws:personalize:us-east-1:111122223333:dataset/*',
        'arn:aws:personalize:us-east-1:111122223333:dataset-export-job/mlx-*',
      ]);
      expect(resourcesOf('s3:PutObject')).toContainEqual({
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':s3:::',
            {
              Ref: large.stack.getLogicalId(
                large.stack.workflow.outputBucket!.bucket.node.defaultChild as never,
              ),
            },
            '/*',
          ],
        ],
      });
    });

    it('lists the datasets of up to 40 dataset groups by group', () => {
      const grouped = synth({
        ...many(0),
        personalizeExports: Array.from({ length: 60 }, (_, i) => ({
          name: `dataset-${i}`,
          datasetArn: `arn:aws:personalize:us-east-1:111122223333:dataset/group-${Math.floor(i / 3)}/${TYPES[i % 3]}`,
          outputS3Prefix: `personalize/dataset-${i}/`,
        })),
        glueExports: [],
      });
      grouped.template.hasResourceProperties('AWS::IAM::Policy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: 'personalize:CreateDatasetExportJob',
              Resource: [
                ...Array.from(
                  { length: 20 },
                  (_, g) => `arn:aws:personalize:us-east-1:111122223333:dataset/group-${g}/*`,
                ),
                'arn:aws:personalize:us-east-1:111122223333:dataset-export-job/mlx-*',
              ],
            }),
          ]),
        },
      });
    });

    it('passes cdk-nag, each wildcard acknowledged with its reason', () => {
      const app = newApp();
      new MlExportsStack(app, 'Many', {
        config: many(2500),
        configSource: 'test',
        env: { region: 'us-east-1', account: '111122223333' },
      });
      Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
      expect(() => app.synth()).not.toThrow();
    });

    it('fits a run of all 5,000 in the state payload, and refuses at synth what would not fit, with the number that does', () => {
      expect(runPayloadBytes(large.stack.workflow.exportCatalog, large.stack.workflow.polling)).toBeLessThan(
        RUN_PAYLOAD_BUDGET_BYTES,
      );
      expect(() => synth(many(4000))).toThrow(
        /glueExports \+ personalizeExports: got "8000 exports"; expected at most about \d+ exports \(shorter names allow more\): a run's list names each export \(\d+ bytes for all of them\) and must fit Step Functions' 256 KiB state payload/,
      );
    });
  });

  it('gives every export its own child execution, so the run history does not grow with the number of exports', () => {
    const { template } = synth(example);
    const { definition } = definitionFromTemplate(template.toJSON() as never, 'us-east-1');
    const exportEach = allStates(definition)['Export Each'] as unknown as {
      ItemProcessor: { ProcessorConfig: { Mode: string } };
    };
    expect(exportEach.ItemProcessor.ProcessorConfig.Mode).toBe('DISTRIBUTED');
  });
});
