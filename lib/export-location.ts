import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { parseS3Uri, placeInBucket } from '../contract/s3-uri';

/**
 * Where an export writes: a key prefix in a bucket. Each run writes below
 * `<prefix><yyyy-mm-dd>/<execution name>/`. The workflow checks the location when it is built: an S3 URI
 * of at most 164 characters with its trailing slash (added when missing), without empty, "." or ".." key
 * segments.
 */
export class ExportLocation {
  /**
   * A key prefix (`personalize/items/`) in a bucket, yours or one the stack creates (its name is then
   * known at deployment only).
   * @param bucket the bucket; for Personalize exports its policy must let Personalize write: the workflow
   * adds that to a bucket of your app (an imported bucket's policy is yours to set)
   * @param keyPrefix the key prefix; leading slashes are dropped
   * @default keyPrefix - the bucket's root
   * @see https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html
   */
  public static fromBucket(bucket: IBucket, keyPrefix?: string): ExportLocation {
    const prefix = keyPrefix ?? '';
    return new ExportLocation(placeInBucket(bucket.bucketName, prefix), bucket.bucketName, prefix, bucket);
  }

  /** An S3 URI prefix, `s3://bucket/prefix/`. */
  public static fromS3Uri(uri: string): ExportLocation {
    const location = parseS3Uri(uri);
    return new ExportLocation(uri, location?.bucket, location?.key);
  }

  /** The location as an S3 URI (a token where the bucket is named at deployment). */
  public readonly s3Uri: string;
  /** The bucket's name, when the location has one. */
  public readonly bucketName?: string;
  /** The key prefix, when the location has one. */
  public readonly keyPrefix?: string;
  /** The bucket, when the location was made from one. */
  public readonly bucket?: IBucket;

  private constructor(s3Uri: string, bucketName?: string, keyPrefix?: string, bucket?: IBucket) {
    this.s3Uri = s3Uri;
    this.bucketName = bucketName;
    this.keyPrefix = keyPrefix;
    this.bucket = bucket;
  }
}
