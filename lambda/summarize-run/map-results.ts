/**
 * The export results of a run. The Distributed Map writes its child executions' results to S3 (its
 * ResultWriter), so that a run of thousands of exports never holds them all in one 256 KiB state; its
 * output is then only where they are. This reads them back: the manifest, then each result file.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import { InvalidTaskStateError } from '../shared/errors';
import type { ExportResult } from '../shared/types';

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

/** One child execution in a result file (the ResultWriter's default NONE transformation). */
export interface ChildExecutionResult {
  readonly Status: string;
  readonly Name?: string;
  /** The child's input and output, as JSON text. */
  readonly Input?: string;
  readonly Output?: string;
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

function parse(text: string | undefined): Record<string, unknown> | undefined {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A child execution's result. One that did not succeed (the Map tolerates no failure, so this is seen
 * only if that changes) counts as a failed export, named from its input.
 */
export function toExportResult(child: ChildExecutionResult): ExportResult {
  const output = parse(child.Output);
  if (child.Status === 'SUCCEEDED' && typeof output?.name === 'string')
    return output as unknown as ExportResult;
  const item = parse(child.Input)?.export as { name?: string; type?: string } | undefined;
  return {
    name: item?.name ?? child.Name ?? 'unknown',
    type: item?.type === 'personalize' ? 'personalize' : 'glue',
    outcome: 'FAILED',
  };
}

/** Every export result the Map Run wrote, read from S3. */
export async function readMapResults(output: ResultWriterOutput): Promise<ExportResult[]> {
  const { Bucket, Key } = output.ResultWriterDetails;
  const manifest = await getJson<ResultManifest>(Bucket, Key);
  const files = Object.values(manifest.ResultFiles ?? {}).flat();
  const byName = new Map<string, ExportResult>();
  for (const file of files) {
    const children = await getJson<ChildExecutionResult[]>(manifest.DestinationBucket ?? Bucket, file.Key);
    if (!Array.isArray(children)) {
      throw new InvalidTaskStateError(`s3://${Bucket}/${file.Key} holds no array of child executions`);
    }
    for (const child of children) {
      const result = toExportResult(child);
      // A child redriven to success after failing first is reported once, as its last outcome.
      if (!byName.has(result.name) || child.Status === 'SUCCEEDED') byName.set(result.name, result);
    }
  }
  return [...byName.values()];
}
