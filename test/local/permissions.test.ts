/**
 * Access rules enforced in every local run (local/access/): every scenario of the example deployment and of
 * the one with every optional resource passes with AWS's authorization, the permissions report says who used
 * what, and the three defects the enforcement exposed stay fixed (an explicit export into an allowed
 * prefix with the created role, alarm notifications for an encrypted topic, a bus of another account).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SCENARIO_NAMES } from '../../local/scenarios';
import { outcomeOf, scenarioResults, simulateAllOptions, WORK, type ScenarioResults } from './example-run';
import type { SimulationResult } from './simulator';

const BUS = 'arn:aws:events:us-east-1:444455556666:event-bus/ml-events';
let example: ScenarioResults;
let allOptions: ScenarioResults;

beforeAll(async () => {
  example = await scenarioResults('example');
  allOptions = await scenarioResults('all-options');
}, 600_000);

/** The scenarios whose organization's service control policy denies a call, and the call. */
const ORGANIZATION_DENIES: Record<string, { caller: string; action: string; resource: RegExp }> = {
  'access-denied': {
    caller: 'StartPersonalizeExportRole',
    action: 'personalize:CreateDatasetExportJob',
    resource: /^arn:aws:personalize:us-east-1:111122223333:dataset\/retail\/\w+$/,
  },
  'prepare-run-denied': {
    caller: 'PrepareRunRole',
    action: 'states:ListExecutions',
    resource: /^arn:aws:states:us-east-1:111122223333:stateMachine:WorkflowStateMachine\w+$/,
  },
  'results-unreadable': {
    caller: 'SummarizeRunRole',
    action: 's3:GetObject',
    resource: /^arn:aws:s3:::workflowrunresultsbucket\w+\/map-runs\/.+\.json$/,
  },
};

describe.each([
  ['the example deployment', () => example],
  ['the deployment with every optional resource', () => allOptions],
])('%s', (_name, results) => {
  it('runs every scenario with every request AWS would allow, and every check on the template allowed', () => {
    const denied = SCENARIO_NAMES.filter((s) => !(s in ORGANIZATION_DENIES)).flatMap((s) =>
      results()
        .run(s)
        .permissions.denied.map((d) => `${s}: ${d.message}`),
    );
    expect(denied).toEqual([]);
    for (const name of SCENARIO_NAMES) {
      const r = results().run(name);
      expect(r.permissions.checks.length).toBeGreaterThan(0);
      expect(r.permissions.checks.filter((c) => !c.allowed)).toEqual([]);
      // A run whose execution succeeded, with nothing denied, exits 0; any denial exits 1.
      expect(r.exitCode).toBe(r.status === 'SUCCEEDED' && r.permissions.denied.length === 0 ? 0 : 1);
    }
  });

  it.each(Object.entries(ORGANIZATION_DENIES))(
    "%s: denies only what the organization's service control policy denies, in AWS's words, and exits 1",
    (name, { caller, action, resource }) => {
      const r = results().run(name);
      expect(r.permissions.denied.length).toBeGreaterThan(0);
      for (const d of r.permissions.denied) {
        expect(d).toMatchObject({ caller, by: 'code', action, resource: expect.stringMatching(resource) });
        expect(d.message).toMatch(
          new RegExp(
            `^User: arn:aws:sts::111122223333:assumed-role/Workflow${caller}\\w+/Workflow\\w+ is not authorized to perform: ${action} on resource: ${d.resource.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} with an explicit deny in a service control policy$`,
          ),
        );
      }
      expect(r.exitCode).toBe(1);
    },
  );
});

describe('the permissions report of a run', () => {
  const happy = () => example.run('happy').permissions;
  const used = (caller: string, by = 'code') =>
    happy()
      .used.filter((u) => u.caller === caller && u.by === by)
      .map((u) => u.action)
      .sort();

  it("lists each function's calls as its own role, and the runtime's log and trace writes apart", () => {
    expect(used('PrepareRunRole')).toEqual(['states:ListExecutions']);
    // The start tasks look for other runs of the same exports (states:ListExecutions) before they start.
    expect(used('StartGlueExportRole')).toEqual([
      'glue:GetMLTaskRuns',
      'glue:StartExportLabelsTaskRun',
      'states:ListExecutions',
    ]);
    expect(used('StartPersonalizeExportRole')).toEqual([
      'iam:PassRole',
      'personalize:CreateDatasetExportJob',
      'personalize:DescribeDatasetExportJob',
      'personalize:ListDatasetExportJobs',
      'states:ListExecutions',
    ]);
    expect(used('GetGlueExportStatusRole')).toEqual(['glue:GetMLTaskRun']);
    expect(used('SummarizeRunRole')).toEqual(['s3:GetObject']);
    for (const role of ['PrepareRunRole', 'FinalizeExportRole', 'SummarizeRunRole'])
      expect(used(role, 'runtime')).toEqual([
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'xray:PutTelemetryRecords',
        'xray:PutTraceSegments',
      ]);
  });

  it("lists Step Functions' own requests as the state machine's role: the ResultWriter's under its prefix", () => {
    expect(used('StateMachineRole', 'step-functions')).toEqual([
      'events:PutEvents',
      'lambda:InvokeFunction',
      's3:PutObject',
      'states:StartExecution',
    ]);
    const writes = happy().used.find((u) => u.action === 's3:PutObject' && u.caller === 'StateMachineRole')!;
    for (const resource of writes.resources)
      expect(resource).toMatch(
        /^arn:aws:s3:::workflowrunresultsbucket\w+\/map-runs\/[\w-]+\/(manifest|SUCCEEDED_0)\.json$/,
      );
  });

  it('names what it granted that the run did not use, and what it could not evaluate', () => {
    expect(happy().unused).toContainEqual({
      owner: 'GetGlueExportStatusRole',
      statement: expect.stringMatching(/^WorkflowGetGlueExportStatusRoleDefaultPolicy\w+#3$/),
      actions: ['glue:CancelMLTaskRun'],
      wholeStatement: false,
    });
    // The example's Personalize role is the user's: its writes are listed, not evaluated.
    expect(happy().notEvaluated).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^arn:aws:iam::111122223333:role\/PersonalizeExportRole: s3:PutObject on /),
        expect.stringContaining("the Glue transform's own role"),
        expect.stringContaining('service control policies'),
      ]),
    );
  });
});

describe('the defects the enforcement exposed', () => {
  it('lets CloudWatch publish each alarm to the encrypted alarm topic (the topic policy replaces the default one)', () => {
    const alarmChecks = allOptions
      .run('happy')
      .permissions.checks.filter((c) => c.description.startsWith('alarm '));
    expect(alarmChecks.map((c) => c.description)).toEqual(
      expect.arrayContaining(
        ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionsThrottled'].map(
          (alarm) =>
            `alarm Operations${alarm} fires: CloudWatch publishes to topic AlarmsAlarmTopic with its KMS key`,
        ),
      ),
    );
    expect(alarmChecks.filter((c) => !c.allowed)).toEqual([]);
  });

  it("delivers the events EventBridge refused to another account's bus by its ARN, as the state machine does", () => {
    const r = allOptions.run('eventbridge-outage');
    expect(r.status).toBe('SUCCEEDED');
    expect(r.events.map((e) => e.eventBusName)).toEqual(Array(r.events.length).fill(BUS));
    expect(r.events[r.events.length - 1].event.detail).toMatchObject({ lateEvents: 1 });
    expect(r.permissions.used).toContainEqual(
      expect.objectContaining({ caller: 'SummarizeRunRole', action: 'events:PutEvents', resources: [BUS] }),
    );
    // The other account's bus policy is not in the template: the run says what it assumed.
    expect(r.permissions.notEvaluated).toContainEqual(
      `${BUS}: not in the template; assumed a resource policy allowing events:PutEvents from account 111122223333`,
    );
  });

  describe("an explicit export into an allowed prefix, with the created role and another export's KMS key", () => {
    let r: SimulationResult;
    beforeAll(async () => {
      const input = path.join(WORK, 'adhoc-input.json');
      fs.writeFileSync(
        input,
        JSON.stringify({
          exports: [
            {
              type: 'personalize',
              name: 'adhoc-interactions',
              datasetArn: 'arn:aws:personalize:us-east-1:111122223333:dataset/retail/INTERACTIONS',
              outputS3Prefix: 'adhoc/',
              kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/efab5678-90cd-12ef-34ab-567890abcdef',
            },
          ],
        }),
      );
      r = await simulateAllOptions('adhoc', ['--input', input], 'happy');
    }, 120_000);

    it('is written by Personalize as the created role, which may write and encrypt there', () => {
      expect(r.permissions.denied).toEqual([]);
      expect(outcomeOf(r, 'adhoc-interactions')?.detail).toMatchObject({ outcome: 'SUCCEEDED' });
      expect(r.filesWritten).toContainEqual(
        expect.stringMatching(
          /^s3\/outputbucket\w+\/adhoc\/2026-11-22\/all-adhoc\/mlx-[\w-]*adhoc-interactions-.+_00000\.csv$/,
        ),
      );
      expect(r.permissions.used).toEqual(
        expect.arrayContaining(
          ['s3:PutObject', 'kms:GenerateDataKey'].map((action) =>
            expect.objectContaining({ caller: 'PersonalizeExportRole', by: 'service', action }),
          ),
        ),
      );
    });
  });
});
