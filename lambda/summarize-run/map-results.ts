/**
 * The export results of a run. The Distributed Map writes its child executions' results to S3 (its
 * ResultWriter), so that a run of thousands of exports never holds them all in one 256 KiB state; its
 * output is then only where they are. This reads them back: the manifest, then each result file.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import { InvalidTaskStateError } from '../shared/errors';
import { toChildOutcome, type ChildExecutionResult, type ChildOutcome } from '../shared/child-outcome';

export type { ChildExecutionResult, ChildOutcome, OwedEvent } from '../shared/child-outcome';
export { toChildOutcome } from '../shared/child-outcome';

const s3 = new S3Client(CLIENT_CONFIG);

/** The Distributed Map's output when its ResultWriter exports the results. */
export interface ResultWriterOutput {
  readonly MapRunArn: string;
  readonly ResultWriterDetails: { readonly Bucket: string; readonly Key: string };
}

/** `manifest.json`: the result files of a Map Run, by the status of the child executions they hold. */
export interface ResultManifest {
  readonly DestinationBucket: string;
  readonly MapRunArn: string;
  readonly ResultFiles: Partial<
    Record<'SUCCEEDED' | 'FAILED' | 'PENDING', { readonly Key: string; readonly Size: number }[]>
  >;
}

export function isResultWriterOutput(value: unknown): value is ResultWriterOutput {
  const details = (value as ResultWriterOutput | undefined)?.ResultWriterDetails;
  return typeof details?.Bucket === 'string' && typeof details.Key === 'string';
}

async function getJson<T>(bucket: string, key: string): Promise<T> {
  let text: string;
  try {
    const response = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await response.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    throw classifyAwsError(err, 'S3 GetObject', `s3://${bucket}/${key}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new InvalidTaskStateError(`s3://${bucket}/${key} is not JSON: ${text.slice(0, 200)}`);
  }
}

/** Every export result the Map Run wrote, read from S3, with the events the run still owes. */
export async function readMapResults(output: ResultWriterOutput): Promise<ChildOutcome[]> {
  const { Bucket, Key } = output.ResultWriterDetails;
  const manifest = await getJson<ResultManifest>(Bucket, Key);
  const files = Object.values(manifest.ResultFiles ?? {}).flat();
  const byName = new Map<string, ChildOutcome>();
  for (const file of files) {
    const children = await getJson<ChildExecutionResult[]>(manifest.DestinationBucket ?? Bucket, file.Key);
    if (!Array.isArray(children)) {
      throw new InvalidTaskStateError(`s3://${Bucket}/${file.Key} holds no array of child executions`);
    }
    for (const child of children) {
      const outcome = toChildOutcome(child);
      // A child redriven to success after failing first is reported once, as its last outcome.
      if (!byName.has(outcome.result.name) || child.Status === 'SUCCEEDED')
        byName.set(outcome.result.name, outcome);
    }
  }
  return [...byName.values()];
}
