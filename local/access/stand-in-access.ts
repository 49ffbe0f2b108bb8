/**
 * The stand-in's access checks, answered by the run's authorizer: each call as the caller whose
 * credentials signed it, with AWS's errors for a denial; and the writes Personalize makes as the role a
 * dataset export job was given (the bucket policy too, when the stack creates the bucket).
 */
import type { AccessGuard, ExportWrite, ExportWriteAccess } from '../stand-in/access-guard';
import { ServiceError } from '../stand-in/service-error';
import type { AccessRequest, Authorizer } from './authorizer';
import { roleSession, servicePrincipal, type CallerCredentials } from './callers';
import { requestsForJsonCall, requestsForS3Call, type IamRequest } from './requests';

export class StandInAccess implements AccessGuard {
  constructor(
    private readonly authorizer: Authorizer,
    private readonly credentials: CallerCredentials,
  ) {}

  async jsonCall(authorization: string | undefined, target: string, input: Record<string, unknown>) {
    const requests = requestsForJsonCall(target, input, this.authorizer.model.place);
    // A call the local run cannot authorize is refused, never let through unchecked.
    if (!requests)
      return new ServiceError(
        'AccessDeniedException',
        `The local run does not know which IAM actions ${target} needs (local/access/requests.ts)`,
      );
    return this.check(
      authorization,
      requests,
      (message) => new ServiceError('AccessDeniedException', message),
    );
  }

  async s3Call(authorization: string | undefined, operation: string, bucket: string, key: string) {
    return this.check(
      authorization,
      requestsForS3Call(operation, bucket, key),
      (message) => new ServiceError('AccessDenied', message, 403),
      () =>
        new ServiceError(
          'InvalidAccessKeyId',
          'The AWS Access Key Id you provided does not exist in our records.',
          403,
        ),
    );
  }

  private async check(
    authorization: string | undefined,
    requests: readonly IamRequest[],
    denied: (message: string) => ServiceError,
    unknownKey = () =>
      new ServiceError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ),
  ): Promise<ServiceError | undefined> {
    const holder = this.credentials.holderOf(authorization);
    if (!holder) return unknownKey();
    // A session of another deployment's role (the clean-up of a newer configuration) goes by its policies.
    const { caller, authorizer = this.authorizer } = holder;
    const decision = await authorizer.authorizeAll(
      requests.map((r) => ({ ...r, caller, by: 'code' as const })),
    );
    return decision.allowed ? undefined : denied(decision.message!);
  }

  /**
   * Personalize writes the export as a session of the job's role (s3:ListBucket, s3:PutObject, and with a
   * KMS key kms:GenerateDataKey and kms:Decrypt), and, where the bucket policy is the stack's, as its
   * service principal, which the bucket policy must admit.
   * https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html
   * https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-key-access.html
   */
  async exportWrite(write: ExportWrite): Promise<ExportWriteAccess> {
    const { model } = this.authorizer;
    const [bucket, ...prefixParts] = write.path.replace(/^s3:\/\//, '').split('/');
    const prefix = prefixParts.join('/');
    const role = roleSession(
      write.roleArn,
      'personalize-export',
      `Personalize, as ${write.roleArn.split('/').pop()}`,
    );
    const service = servicePrincipal('personalize.amazonaws.com', 'Personalize');
    const source = {
      'aws:SourceAccount': model.place.account,
      'aws:SourceArn': write.jobArn,
    };
    const object = `arn:aws:s3:::${bucket}/${write.objectKey}`;
    const bucketKey = model.buckets.get(bucket)?.kmsKeyArn;
    const requests: AccessRequest[] = [
      ...(model.roles.has(write.roleArn)
        ? [
            {
              caller: service,
              action: 'sts:AssumeRole',
              resource: write.roleArn,
              context: source,
              by: 'service' as const,
            },
          ]
        : []),
      {
        caller: role,
        action: 's3:ListBucket',
        resource: `arn:aws:s3:::${bucket}`,
        context: { 's3:prefix': prefix },
        by: 'service',
      },
      { caller: role, action: 's3:PutObject', resource: object, by: 'service' },
      ...[write.kmsKeyArn, bucketKey]
        .filter((k): k is string => k !== undefined)
        .flatMap((key) =>
          ['kms:GenerateDataKey', 'kms:Decrypt'].map((action) => ({
            caller: role,
            action,
            resource: key,
            by: 'service' as const,
          })),
        ),
      ...(model.resourcePolicies.has(`arn:aws:s3:::${bucket}`)
        ? (['s3:ListBucket', 's3:PutObject'] as const).map((action) => ({
            caller: service,
            action,
            resource: action === 's3:PutObject' ? object : `arn:aws:s3:::${bucket}`,
            context: source,
            by: 'service' as const,
          }))
        : []),
    ];
    const decisions = await Promise.all(requests.map((r) => this.authorizer.evaluate(r)));
    const denied = decisions.findIndex((d) => !d.allowed);
    return {
      ...(denied >= 0
        ? { failureReason: exportFailureReason(requests[denied], decisions[denied].message!) }
        : {}),
      made: () => {
        // Personalize stops at the first refusal: the requests after it are never made.
        const madeCount = denied >= 0 ? denied + 1 : requests.length;
        requests.slice(0, madeCount).forEach((r, i) => this.authorizer.record(r, decisions[i]));
      },
    };
  }
}

/**
 * The job's failureReason. Personalize's exact wording for a refused write is not documented; this
 * follows its import failures ("Insufficient privileges for accessing data in S3") with IAM's own message.
 */
function exportFailureReason(request: AccessRequest, message: string): string {
  if (request.action === 'sts:AssumeRole')
    return `Amazon Personalize cannot assume the role ${request.resource}: ${message}`;
  if (request.action.startsWith('kms:'))
    return `Insufficient privileges for using the KMS key ${request.resource}: ${message}`;
  return `Insufficient privileges for accessing data in S3: ${message}`;
}
