import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';

export interface RunResultsBucketProps {
  /** @default Duration.days(30) */
  readonly expireAfter?: Duration;
}

/**
 * Where the Distributed Map writes the results of each run's child executions (its ResultWriter), for
 * Summarize Run to count: a run of thousands of exports would not fit its results in one 256 KiB state.
 * Internal working data: private, encrypted, TLS-only, and expired after a while (long enough to redrive
 * a run, which Step Functions allows for 14 days).
 */
export class RunResultsBucket extends Construct {
  /** Key prefix of the result files; each Map Run writes below `<prefix>/<map run id>/`. */
  public static readonly PREFIX = 'map-runs';
  public readonly bucket: Bucket;

  constructor(scope: Construct, id: string, props: RunResultsBucketProps = {}) {
    super(scope, id);
    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          expiration: props.expireAfter ?? Duration.days(30),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Holds only result files that this state machine writes and Summarize Run reads, each expiring after 30 days; both are logged in the execution history and function logs',
    });
  }

  /** The object ARNs the Map's results are written under. */
  public resultObjectsArn(): string {
    return this.bucket.arnForObjects(`${RunResultsBucket.PREFIX}/*`);
  }
}
