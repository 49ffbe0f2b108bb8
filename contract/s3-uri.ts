/** The one S3 URI parser and the one way a key prefix is placed in a bucket. */

export interface S3Location {
  readonly bucket: string;
  /** The key or key prefix, without the bucket's slash; empty for the bucket itself. */
  readonly key: string;
}

/** Bucket and key of an `s3://` URI, or undefined for anything else. */
export function parseS3Uri(uri: unknown): S3Location | undefined {
  if (typeof uri !== 'string' || !uri.startsWith('s3://')) return undefined;
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  const bucket = slash < 0 ? rest : rest.slice(0, slash);
  if (bucket === '') return undefined;
  return { bucket, key: slash < 0 ? '' : rest.slice(slash + 1) };
}

/**
 * The one substitution of a bucket into an export's place: a key prefix ("personalize/items/", leading
 * slashes dropped) in `bucket`, as the S3 URI prefix an export writes under. The construct places its
 * exports' key prefixes in their buckets with it (by name, or by the catalog's placeholder for a bucket named
 * at deployment), the app a configuration file's key prefixes, and Prepare Run the key prefixes of exports
 * given in an execution's input.
 */
export function placeInBucket(bucket: string, keyPrefix: string): string {
  return `s3://${bucket}/${keyPrefix.replace(/^\/+/, '')}`;
}

/** Whether an output prefix is a key prefix (to be placed in a bucket) rather than an `s3://` URI. */
export function isKeyPrefix(prefix: unknown): prefix is string {
  return typeof prefix === 'string' && !prefix.startsWith('s3://');
}
