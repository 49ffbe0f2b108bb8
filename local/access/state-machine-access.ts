/**
 * Step Functions' own requests, made as the state machine's role before each integration runs: invoking a
 * function, putting events, starting the Distributed Map's child executions (and redriving them), and the
 * ResultWriter's writes. A denial fails the state with the error Step Functions reports for it.
 */
import { randomUUID } from 'node:crypto';
import type { AccessRequest, Authorizer, Caller } from './authorizer';
import { roleSession } from './callers';

/**
 * The error names a denied integration request fails its state with. Lambda's is what Step Functions
 * reports (errors of an optimized integration are `<service>.<SDK exception>`, the cause AWS's message with
 * the SDK's suffix), as seen in https://github.com/awslabs/aws-deployment-framework/issues/460. The others
 * are not documented for an access denial: EventBridge's follows the same naming (its SDK's generic
 * exception); the ResultWriter's is the States Language's own (https://states-language.net/spec.html#appendix-a);
 * for child executions the Map Run cannot start, the local run uses States.Runtime.
 */
const DENIALS = {
  lambda: { error: 'Lambda.AWSLambdaException', service: 'AWSLambda', status: 403 },
  events: { error: 'EventBridge.AmazonEventBridgeException', service: 'AmazonEventBridge', status: 400 },
  resultWriter: { error: 'States.ResultWriterFailed' },
  mapRun: { error: 'States.Runtime' },
} as const;

export type Integration = keyof typeof DENIALS;

/** The error a state fails with when Step Functions may not make its request. */
export function integrationDenied(integration: Integration, message: string): Error {
  const denial = DENIALS[integration];
  const cause =
    'service' in denial
      ? `${message} (Service: ${denial.service}; Status Code: ${denial.status}; Error Code: AccessDeniedException; Request ID: ${randomUUID()}; Proxy: null)`
      : message;
  return Object.assign(new Error(cause), { name: denial.error });
}

/** The state machine's role, as its integrations' requests are authorized. */
export class StateMachineAccess {
  readonly caller: Caller;

  constructor(
    readonly authorizer: Authorizer,
    readonly stateMachineArn: string,
    roleArn: string,
    executionName: string,
  ) {
    // Step Functions names the session itself (a random id); the execution name stands in for it.
    this.caller = roleSession(roleArn, executionName, 'the state machine');
  }

  /**
   * With tracing on, Step Functions sends the execution's trace segments to X-Ray as the role (a denial
   * loses the traces, not the execution). https://docs.aws.amazon.com/step-functions/latest/dg/concepts-xray-tracing.html
   */
  async tracesWritten(): Promise<void> {
    for (const action of [
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ])
      await this.authorizer.authorize({ caller: this.caller, action, resource: '*', by: 'runtime' });
  }

  /** Authorizes the requests in order; a denial throws the integration's error. */
  async require(integration: Integration, requests: readonly Omit<AccessRequest, 'caller' | 'by'>[]) {
    for (const request of requests) {
      const decision = await this.authorizer.authorize({
        ...request,
        caller: this.caller,
        by: 'step-functions',
      });
      if (!decision.allowed) throw integrationDenied(integration, decision.message!);
    }
  }
}
