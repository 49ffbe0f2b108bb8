/** The one S3 URI parser: `s3://bucket/key` into its bucket and key. */

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
