/**
 * ARNs parsed with the AWS SDK's parser rather than regexes, for the handlers and the run-time checks
 * (synth-time code uses aws-cdk-lib's `Arn.split`, which also understands tokens).
 * @see https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
 */
import { parse, validate, type ARN } from '@aws-sdk/util-arn-parser';

/** The parts of an ARN, or undefined for anything that is not one. */
export function parseArn(arn: unknown): ARN | undefined {
  return typeof arn === 'string' && validate(arn) ? parse(arn) : undefined;
}

/** Partition of an ARN (`aws`, `aws-cn`, ...), or undefined for anything that is not an ARN. */
export function arnPartition(arn: string): string | undefined {
  return parseArn(arn)?.partition || undefined;
}

/** Region of an ARN with a region field, or undefined. */
export function arnRegion(arn: string): string | undefined {
  return parseArn(arn)?.region || undefined;
}

/** Account of an ARN (12 digits), or undefined. */
export function arnAccount(arn: string): string | undefined {
  const account = parseArn(arn)?.accountId;
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** The ARN with another resource part, in the same partition, service, region and account. */
export function withResource(arn: ARN, resource: string): string {
  return `arn:${arn.partition}:${arn.service}:${arn.region}:${arn.accountId}:${resource}`;
}
