/**
 * The export results of a run. The Distributed Map writes its child executions' results to S3 (its
 * ResultWriter), so that a run of thousands of exports never holds them all in one 256 KiB state; its
 * output is then only where they are. This reads them back: the manifest, then each result file.
 */
import { EXPORT_DETAIL_TYPES } from '../../contract/names';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CLIENT_CONFIG } from '../shared/client-config';
import { classifyAwsError } from '../shared/aws-errors';
import { InvalidTaskStateError } from '../shared/errors';
import type { EventEnvelope, ExportResult } from '../shared/types';

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
  /** Why a child that did not succeed failed. */
  readonly Error?: string;
  readonly Cause?: string;
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

/** An export event the run still owes: held after EventBridge refused it, or for a child that failed. */
export type OwedEvent = EventEnvelope<Record<string, unknown>>;

/** One export's result, and the event it is still owed, if any. */
export interface ChildOutcome {
  readonly result: ExportResult;
  readonly owed?: OwedEvent;
}

/**
 * A child execution's result. A child that held its event (EventBridge refused it past its retries) owes
 * it; a child that did not succeed (the Map tolerates failures so that its siblings go on) is a failed
 * export whose event is made here from its input and error, since it never got to send one.
 */
export function toChildOutcome(child: ChildExecutionResult): ChildOutcome {
  const output = parse(child.Output);
  if (child.Status === 'SUCCEEDED' && typeof output?.name === 'string') {
    const { heldEvent, name, type, outcome } = output as {
      heldEvent?: OwedEvent;
      name: string;
      type: ExportResult['type'];
      outcome: ExportResult['outcome'];
    };
    return { result: { name, type, outcome }, ...(heldEvent ? { owed: heldEvent } : {}) };
  }
  const input = parse(child.Input) as
    | { export?: { name?: string; type?: string }; run?: { executionName?: string; executionArn?: string } }
    | undefined;
  const result: ExportResult = {
    name: input?.export?.name ?? child.Name ?? 'unknown',
    type: input?.export?.type === 'personalize' ? 'personalize' : 'glue',
    outcome: 'FAILED',
  };
  return {
    result,
    owed: {
      detailType: EXPORT_DETAIL_TYPES.FAILED,
      detail: {
        exportName: result.name,
        exportType: result.type,
        outcome: 'FAILED',
        pollCount: 0,
        adoptedExistingJob: false,
        error: {
          type: child.Error ?? `ChildExecution${child.Status}`,
          message: `the export's child execution ended ${child.Status} before it sent its event${child.Cause ? `: ${child.Cause.slice(0, 1000)}` : ''}; its job, if one started, was not followed to its end`,
        },
        executionName: input?.run?.executionName ?? 'unknown',
        executionArn: input?.run?.executionArn ?? 'unknown',
      },
    },
  };
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
