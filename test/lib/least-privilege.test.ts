/** The example configuration's IAM: each function's and the state machine's permissions, and no more. */
import { definitionFromTemplate } from '../../local/assembly';
import { allStates, example, TRANSFORM_ID, DATASET_ARN, ROLE_ARN, synth } from './helpers';

describe('the example configuration', () => {
  const { stack, template } = synth(example);

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

    const states = (resource: string, name = '*') => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          `:states:us-east-1:111122223333:${resource}:`,
          { 'Fn::GetAtt': [expect.stringMatching(/^WorkflowStateMachine/), 'Name'] },
          name,
        ],
      ],
    });

    it("lets the clean-up of ended runs read this state machine's runs, cancel its task runs, describe its jobs and send its events", () => {
      expect(statementsOf('StoppedRunCleanupCancelStoppedRunRole')).toEqual([
        logs,
        {
          Action: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:ListMapRuns'],
          Resource: states('execution', ':*'),
        },
        // The Map Run's child executions, `execution:<state machine>/<label>:<id>`.
        {
          Action: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          Resource: states('execution', '/*'),
        },
        { Action: 'states:ListExecutions', Resource: states('mapRun', '/*') },
        {
          Action: ['glue:GetMLTaskRun', 'glue:GetMLTaskRuns', 'glue:CancelMLTaskRun'],
          Resource: transformArn,
        },
        { Action: 'personalize:DescribeDatasetExportJob', Resource: jobArns },
        {
          Action: 'events:PutEvents',
          Resource: {
            'Fn::Join': [
              '',
              ['arn:', { Ref: 'AWS::Partition' }, ':events:us-east-1:111122223333:event-bus/default'],
            ],
          },
        },
        // Its dead-letter queue (Lambda's on-failure destination).
        expect.objectContaining({
          Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl'],
          Resource: {
            'Fn::GetAtt': [expect.stringMatching(/^WorkflowStoppedRunCleanupDeadLettersQueue/), 'Arn'],
          },
        }),
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

    it('lets the start tasks list and describe runs of this state machine (the overlap rule), and the Glue status task describe them (redrives)', () => {
      const list = {
        Action: 'states:ListExecutions',
        Resource: { Ref: expect.stringMatching(/^WorkflowStateMachine/) },
      };
      const describe = { Action: 'states:DescribeExecution', Resource: states('execution', ':*') };
      expect(statementsOf('StartTasksSeeOtherRuns')).toEqual([list, describe]);
      expect(statementsOf('GlueStatusSeesItsRun')).toEqual([describe]);
      const roles = (id: string) =>
        Object.entries(policies).find(([policyId]) => policyId.startsWith(`Workflow${id}`))![1].Properties
          .Roles;
      expect(roles('StartTasksSeeOtherRuns')).toEqual([
        { Ref: expect.stringMatching(/^WorkflowStartGlueExportRole/) },
        { Ref: expect.stringMatching(/^WorkflowStartPersonalizeExportRole/) },
      ]);
      expect(roles('GlueStatusSeesItsRun')).toEqual([
        { Ref: expect.stringMatching(/^WorkflowGetGlueExportStatusRole/) },
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
      const reasons = (fn: 'startPersonalizeExport' | 'checkPersonalizeExport') =>
        stack.workflow.functions[fn]
          .role!.node.metadata.filter((m) => m.type === 'aws:cdk:acknowledged-rules')
          .map((m) => Object.values(m.data as Record<string, string>)[0]);
      expect(reasons('startPersonalizeExport')).toContainEqual(
        expect.stringMatching(
          /^personalize:ListDatasetExportJobs \(read-only job metadata, for history-aware polling\) has no resource type/,
        ),
      );
      expect(reasons('checkPersonalizeExport').join()).not.toMatch(/ListDatasetExportJobs/);
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
});

describe('an event bus of another account', () => {
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
    // The state machine, Summarize Run and the clean-up put events: each on the bus's ARN.
    const buses = grants.filter((st) => st.Action === 'events:PutEvents').map((st) => st.Resource);
    expect(buses.length).toBeGreaterThanOrEqual(2);
    expect(new Set(buses)).toEqual(new Set([busArn]));
  });
});
