import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  type IBucket,
} from 'aws-cdk-lib/aws-s3';
import { ResultWriterV2 } from 'aws-cdk-lib/aws-stepfunctions';
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

/**
 * A Distributed Map's ResultWriter allowed to write under its prefix only: CDK's ResultWriterV2 grants
 * its actions on every object of the bucket. The actions are the ones Step Functions documents for the
 * ResultWriter (multipart uploads included, for large result files), on the prefix it writes under.
 * https://docs.aws.amazon.com/step-functions/latest/dg/input-output-resultwriter.html#resultwriter-iam-policies
 */
export class PrefixResultWriter extends ResultWriterV2 {
  constructor(
    private readonly resultsBucket: IBucket,
    private readonly resultsPrefix: string,
  ) {
    super({ bucket: resultsBucket, prefix: resultsPrefix });
  }

  public override providePolicyStatements(): PolicyStatement[] {
    return [
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:GetObject', 's3:ListMultipartUploadParts', 's3:AbortMultipartUpload'],
        resources: [this.resultsBucket.arnForObjects(`${this.resultsPrefix}/*`)],
      }),
    ];
  }
}
