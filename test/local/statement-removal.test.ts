/**
 * Every statement of every role's identity policies in the synthesized template of the deployment with
 * every optional resource (config/all-options.json: the functions', the state machine's, the created
 * Personalize role's, the schedule's), listed from the template, removed one at a time from a copy of it:
 * the local run that used the statement (the cheapest scenario whose permissions report shows it granting a
 * request) fails on the copy, naming one of the statement's actions. A statement
 * no run used is reported as unused: its removal changes nothing a run can see.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ALL_OPTIONS_ASSEMBLY, START, useScenarioResults, WORK } from './example-run';
import { simulate, type SimulationResult } from './simulator';

interface Statement {
  /** `<policy logical id>#<1-based index>`, as the permissions report names it. */
  readonly id: string;
  readonly policy: string;
  readonly index: number;
  readonly actions: string[];
}

interface Outcome {
  readonly statement: Statement;
  readonly run: string;
  readonly exitCode: number;
  readonly denied: string[];
  /** How the execution failed, when it did (scenario runs). */
  readonly failure?: { readonly state?: string; readonly error: string; readonly cause: string };
}

const COPIES = path.join(WORK, 'statement-removal');
const results = useScenarioResults('all-options');

function templateFile(assemblyDir: string): string {
  const manifest = JSON.parse(fs.readFileSync(path.join(assemblyDir, 'manifest.json'), 'utf8')) as {
    artifacts: Record<string, { type: string; properties?: { templateFile?: string } }>;
  };
  const stack = Object.values(manifest.artifacts).find((a) => a.type === 'aws:cloudformation:stack')!;
  return stack.properties!.templateFile!;
}

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
type PolicyDocument = { Statement: { Action: string | string[] }[] };

/** Every statement of every identity policy of the template (AWS::IAM::Policy), in order. */
function statementsOf(template: Template): Statement[] {
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .flatMap(([policy, r]) =>
      (r.Properties.PolicyDocument as PolicyDocument).Statement.map((st, i) => ({
        id: `${policy}#${i + 1}`,
        policy,
        index: i + 1,
        actions: ([] as string[]).concat(st.Action),
      })),
    );
}

/** A copy of the cloud assembly whose template lacks the statement; its other files are links. */
function copyWithout(statement: Statement, n: number): string {
  const dir = path.join(COPIES, String(n));
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const file = templateFile(ALL_OPTIONS_ASSEMBLY);
  for (const entry of fs.readdirSync(ALL_OPTIONS_ASSEMBLY))
    if (entry !== file) fs.symlinkSync(path.join(ALL_OPTIONS_ASSEMBLY, entry), path.join(dir, entry));
  const template = JSON.parse(fs.readFileSync(path.join(ALL_OPTIONS_ASSEMBLY, file), 'utf8')) as Template;
  const document = template.Resources[statement.policy].Properties.PolicyDocument as PolicyDocument;
  document.Statement.splice(statement.index - 1, 1);
  fs.writeFileSync(path.join(dir, file), JSON.stringify(template));
  return dir;
}

/** IAM action patterns (`kms:GenerateDataKey*`) match actions case-insensitively. */
const matches = (pattern: string, action: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 'i').test(action);

const statementsUsedBy = (permissions: SimulationResult['permissions']) =>
  new Set(permissions.used.flatMap((u) => u.grantedBy));

let statements: Statement[] = [];
const outcomes: Outcome[] = [];
let unused: Statement[] = [];

beforeAll(async () => {
  // Which runs used each statement, the cheapest first (the fewer Lambda invocations, the shorter the run),
  // a stopped run last (its failure is the stop's); only runs AWS allowed everything in (not the scenarios
  // whose organization denies a call), so that a denial on the copy is the removed statement's.
  const stopped = (r: SimulationResult) => r.status === 'ABORTED' || r.status === 'TIMED_OUT';
  const scenarios = [...results.all]
    .filter(([, r]) => r.permissions.denied.length === 0)
    .sort(
      ([, a], [, b]) =>
        Number(stopped(a)) - Number(stopped(b)) || a.counts.lambdaInvocations - b.counts.lambdaInvocations,
    )
    .map(([name, r]) => ({ name, used: statementsUsedBy(r.permissions) }));
  const template = JSON.parse(
    fs.readFileSync(path.join(ALL_OPTIONS_ASSEMBLY, templateFile(ALL_OPTIONS_ASSEMBLY)), 'utf8'),
  ) as Template;
  statements = statementsOf(template);
  unused = statements.filter((st) => !scenarios.some((r) => r.used.has(st.id)));
  let n = 0;
  for (const statement of statements) {
    const run = scenarios.find((r) => r.used.has(statement.id));
    if (!run) continue;
    const copy = copyWithout(statement, n++);
    const result = await simulate([
      '--assembly',
      copy,
      '--out',
      path.join(COPIES, 'runs'),
      '--name',
      `all-without-${n}`,
      '--start-time',
      START,
      '--scenario',
      run.name,
    ]);
    outcomes.push({
      statement,
      run: run.name,
      exitCode: result.exitCode,
      denied: result.permissions.denied.map((d) => d.action),
      ...(result.error ? { failure: { state: result.failedState, ...result.error } } : {}),
    });
  }
}, 600_000);

it('lists the statements from the template: every function, the state machine, the created role and the schedule', () => {
  const policies = new Set(statements.map((s) => s.policy.replace(/[0-9A-F]{8}$/, '')));
  expect([...policies]).toEqual(
    expect.arrayContaining([
      'WorkflowPrepareRunRoleDefaultPolicy',
      'WorkflowStartGlueExportRoleDefaultPolicy',
      'WorkflowGetGlueExportStatusRoleDefaultPolicy',
      'WorkflowStartPersonalizeExportRoleDefaultPolicy',
      'WorkflowGetPersonalizeExportStatusRoleDefaultPolicy',
      'WorkflowFinalizeExportRoleDefaultPolicy',
      'WorkflowSummarizeRunRoleDefaultPolicy',
      'WorkflowPrepareRunSeesOtherRuns',
      'WorkflowStoppedRunCleanupCancelStoppedRunRoleDefaultPolicy',
      'WorkflowStateMachineRoleDefaultPolicy',
      'WorkflowStateMachineDistributedMapPolicy',
      'WorkflowPersonalizeExportRoleDefaultPolicy',
    ]),
  );
  // One run per statement a run used, none for the others: the cost is bounded by the template.
  expect(outcomes.length + unused.length).toBe(statements.length);
});

it('fails the run that used a statement when the statement is removed, naming one of its actions', () => {
  const missed = outcomes
    .filter(
      (o) =>
        o.exitCode !== 1 || !o.denied.some((action) => o.statement.actions.some((p) => matches(p, action))),
    )
    .map(
      (o) =>
        `${o.statement.id} (${o.statement.actions.join(', ')}), run ${o.run}: exit ${o.exitCode}, denied ${o.denied.join(', ') || 'nothing'}`,
    );
  expect(missed).toEqual([]);
  expect(outcomes.length).toBeGreaterThan(30);
});

it('reports the statements no run used (each for what no scenario does, see the comments)', () => {
  // Printed for the permissions review (docs/local-run.md).
  process.stdout.write(
    `Statements no local run used:\n${unused.map((s) => `  ${s.id}: ${s.actions.join(', ')}`).join('\n')}\n`,
  );
  expect(unused.map((s) => s.actions)).toEqual([
    // The Distributed Map stopping its child executions (a failed or stopped Map Run), and redriving them.
    ['states:DescribeExecution', 'states:StopExecution'],
    ['states:RedriveExecution'],
    // The start tasks describe an earlier run still going (a run redriven while a newer one runs).
    ['states:DescribeExecution'],
  ]);
});

it("fails Step Functions' own requests with the errors Step Functions reports for them", () => {
  const failureOf = (action: string, state: string) =>
    outcomes.find((o) => o.statement.actions.includes(action) && o.failure?.state === state)?.failure;
  // Lambda's is what AWS reports for a denied invoke; the others are documented or inferred
  // (local/access/state-machine-access.ts says which).
  expect(failureOf('lambda:InvokeFunction', 'Prepare Run')).toEqual({
    state: 'Prepare Run',
    error: 'Lambda.AWSLambdaException',
    cause: expect.stringMatching(
      /^User: arn:aws:sts::111122223333:assumed-role\/WorkflowStateMachineRole\w+\/all-without-\d+ is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:us-east-1:111122223333:function:WorkflowPrepareRun\w+ because no identity-based policy allows the lambda:InvokeFunction action \(Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException; Request ID: [\w-]+; Proxy: null\)$/,
    ),
  });
  expect(failureOf('s3:PutObject', 'Export Each')?.error).toBe('States.ResultWriterFailed');
  expect(failureOf('states:StartExecution', 'Export Each')?.error).toBe('States.Runtime');
  expect(failureOf('events:PutEvents', 'Emit Run Event')?.error).toBe(
    'EventBridge.AmazonEventBridgeException',
  );
});
