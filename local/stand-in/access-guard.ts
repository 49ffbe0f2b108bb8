/**
 * What the stand-in asks before it answers: whether AWS would let the caller make this call, and whether
 * Personalize, acting as the role a job was given, may write the job's files. The local run puts its
 * authorizer behind it (local/access/stand-in-access.ts); a stand-in without one answers every call.
 */
import type { ServiceError } from './service-error';

/** A Personalize dataset export job, as the service sees it when it writes the export. */
export interface ExportWrite {
  readonly jobArn: string;
  readonly roleArn: string;
  /** `s3://bucket/prefix/` */
  readonly path: string;
  /** The object the job writes. */
  readonly objectKey: string;
  readonly kmsKeyArn?: string;
}

/** Whether the job may write, decided when it is created; counted for the report when it writes. */
export interface ExportWriteAccess {
  /** Why the job ends CREATE FAILED, when the writes are denied. */
  readonly failureReason?: string;
  /** Records the writes (or their denial) as made: called when the job reaches its end. */
  readonly made: () => void;
}

export interface AccessGuard {
  /** The error AWS answers an awsJson call with (access denied, an unknown key), or undefined. */
  jsonCall(
    authorization: string | undefined,
    target: string,
    input: Record<string, unknown>,
  ): Promise<ServiceError | undefined>;
  /** The same for an S3 REST call on an object. */
  s3Call(
    authorization: string | undefined,
    operation: string,
    bucket: string,
    key: string,
  ): Promise<ServiceError | undefined>;
  /** Whether Personalize may write a job's export as the job's role. */
  exportWrite(write: ExportWrite): Promise<ExportWriteAccess>;
}
