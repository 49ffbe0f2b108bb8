/**
 * The access rules of one local run, put together: the template's policies, the authorizer (with the
 * organization's service control policies a scenario sets), the credentials handed to the functions, the
 * stand-in's checks, the state machine's role, the checks on the template, and the permissions report.
 */
import type { LoadedAssembly } from '../assembly';
import { LambdaRuntime } from '../lambda-runtime';
import { Authorizer, type ServiceControlPolicies } from './authorizer';
import { CallerCredentials } from './callers';
import { checkTemplate, type AccessCheck } from './checks';
import { readAccessModel, type AccessModel } from './policies';
import { buildPermissionsReport, type PermissionsReport } from './report';
import { StandInAccess } from './stand-in-access';
import { StateMachineAccess } from './state-machine-access';

/** Service control policies (their documents), as a scenario's world holds them. */
export type OrganizationPolicies = readonly { readonly name: string; readonly policy: unknown }[];

/**
 * The policies beside AWS's default FullAWSAccess (an SCP denies only what it names, the default allows
 * the rest): https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html
 */
function serviceControlPolicies(
  policies: OrganizationPolicies | undefined,
): ServiceControlPolicies | undefined {
  if (!policies?.length) return undefined;
  const fullAccess = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] };
  return [
    { orgIdentifier: 'r-local', policies: [{ name: 'FullAWSAccess', policy: fullAccess }, ...policies] },
  ];
}

export class RunAccess {
  readonly model: AccessModel;
  readonly authorizer: Authorizer;
  readonly credentials: CallerCredentials;
  /** Step Functions' own requests, as the state machine's role. */
  readonly stateMachine: StateMachineAccess;
  /** What the stand-in asks before it answers. */
  readonly standIn: StandInAccess;
  private checks: AccessCheck[] = [];

  /** `credentials`: the run's, when this is another deployment of it (the clean-up of a newer configuration). */
  constructor(
    assembly: LoadedAssembly,
    executionName: string,
    /** The service control policies the account is under (a scenario's). */
    readonly organization?: OrganizationPolicies,
    credentials = new CallerCredentials(),
  ) {
    this.credentials = credentials;
    this.model = readAccessModel(assembly.template.Resources, assembly);
    const machine = this.model.stateMachine;
    if (!machine) throw new Error('The template has no state machine');
    this.authorizer = new Authorizer(this.model, {
      serviceControlPolicies: serviceControlPolicies(organization),
    });
    this.stateMachine = new StateMachineAccess(this.authorizer, machine.arn, machine.roleArn, executionName);
    this.standIn = new StandInAccess(this.authorizer, this.credentials);
  }

  /** The deployment's functions, each with `environment` (the run's) besides its own, as its role. */
  lambdaRuntime(environment: Record<string, string>): LambdaRuntime {
    return new LambdaRuntime({ authorizer: this.authorizer, credentials: this.credentials, environment });
  }

  /** The checks on the template (checks.ts), kept for the report. */
  async checkTemplate(): Promise<AccessCheck[]> {
    this.checks = await checkTemplate(this.authorizer);
    return this.checks;
  }

  /** At the execution's start: the checks on the template, and Step Functions' trace writes. */
  async executionStarted(): Promise<void> {
    await this.checkTemplate();
    if (this.model.stateMachine?.tracing) await this.stateMachine.tracesWritten();
  }

  report(): PermissionsReport {
    return buildPermissionsReport(this.authorizer.log, this.model, this.checks);
  }
}
