import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

/** Options of {@link ExportBucket}. */
export interface ExportBucketProps {
  /**
   * What happens to the bucket and its access logs when the stack deletes them.
   * @default RemovalPolicy.RETAIN - exports outlive the stack
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * An S3 bucket for the exports, for users who do not bring their own: encrypted (SSE-S3), private,
 * TLS-only, versioned, with server access logs in a bucket of its own. Give it to the workflow with
 * `ExportLocation.fromBucket(exportBucket.bucket, 'prefix/')` (and as `outputBucket` for exports given in an
 * execution's input with a key prefix): the workflow lets Personalize write under the prefixes it uses, for
 * this account's Personalize resources only, as Personalize requires. Glue writes with the transform's own
 * role.
 * @see https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html
 */
export class ExportBucket extends Construct {
  /** The bucket the exports go to. */
  public readonly bucket: Bucket;
  /** Its server access logs. */
  public readonly accessLogsBucket: Bucket;

  /**
   * @param scope where the bucket goes
   * @param id its construct id
   * @param props how the stack treats the bucket when deleted
   */
  constructor(scope: Construct, id: string, props: ExportBucketProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogsBucket = new Bucket(this, 'AccessLogs', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the export bucket; logging it to itself would loop',
    });
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'output-bucket/',
      removalPolicy,
    });
  }
}
