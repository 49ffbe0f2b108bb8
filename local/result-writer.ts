/**
 * aws-local-stepfunctions has no ResultWriter: it returns a Distributed Map's results inline. The local
 * run gives the next state what AWS gives it instead. Each Map with a ResultWriter is followed by a local
 * step that writes the results to the S3 stand-in in the ResultWriter's layout (a `manifest.json` and
 * `SUCCEEDED_0.json` below `<prefix>/<map run id>/`) and replaces them with the Map's real output,
 * `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }`. The step is not counted as a state.
 */
import { randomUUID } from 'node:crypto';

type States = Record<string, Record<string, unknown>>;

export interface EmulatedResultWriter {
  readonly mapState: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly itemsPath: string;
  readonly itemSelector?: Record<string, unknown>;
  readonly resultPath: string;
}

/** The name of the local step that stands for a Map's ResultWriter. */
export function resultWriterStepName(mapState: string): string {
  return `${mapState} (ResultWriter)`;
}

/** A copy of the definition with a ResultWriter step after each top-level Map that has a ResultWriter. */
export function withResultWriterSteps(definition: Record<string, unknown>): {
  definition: Record<string, unknown>;
  steps: Map<string, EmulatedResultWriter>;
} {
  // A JSON copy (the definition is JSON): the library recognises objects of its own realm only.
  const states = JSON.parse(JSON.stringify(definition.States)) as States;
  const steps = new Map<string, EmulatedResultWriter>();
  for (const [name, state] of Object.entries(states)) {
    const writer = state.ResultWriter as { Parameters?: { Bucket?: string; Prefix?: string } } | undefined;
    if (state.Type !== 'Map' || !writer) continue;
    if (typeof state.ResultPath !== 'string' || !state.Next) {
      throw new Error(`Map ${name}: the local ResultWriter needs a ResultPath and a Next state`);
    }
    const step = resultWriterStepName(name);
    steps.set(step, {
      mapState: name,
      bucket: String(writer.Parameters?.Bucket),
      prefix: String(writer.Parameters?.Prefix ?? ''),
      itemsPath: String(state.ItemsPath ?? '$'),
      itemSelector: state.ItemSelector as Record<string, unknown> | undefined,
      resultPath: state.ResultPath,
    });
    states[step] = {
      Type: 'Task',
      Comment: `Local stand-in for the ResultWriter of ${name}`,
      Resource: 'arn:aws:states:::local:resultWriter',
      Next: state.Next,
    };
    delete state.ResultWriter;
    state.Next = step;
  }
  return { definition: { ...definition, States: states }, steps };
}

/** `$.a.b` on a JSON value (the only paths the workflow's ItemSelector and ItemsPath use). */
function at(value: unknown, jsonPath: string): unknown {
  return jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
}

function setAt(
  value: Record<string, unknown>,
  jsonPath: string,
  replacement: unknown,
): Record<string, unknown> {
  const keys = jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean);
  if (keys.length !== 1)
    throw new Error(`the local ResultWriter supports ResultPath $.<field>, not ${jsonPath}`);
  return { ...value, [keys[0]]: replacement };
}

/** A child execution's input: the ItemSelector applied to one item. */
export function childInput(
  selector: Record<string, unknown> | undefined,
  stateInput: unknown,
  item: unknown,
  index: number,
): unknown {
  if (!selector) return item;
  return Object.fromEntries(
    Object.entries(selector).map(([key, path]) => {
      if (!key.endsWith('.$')) return [key, path];
      const p = String(path);
      const value = p === '$$.Map.Item.Value' ? item : p === '$$.Map.Item.Index' ? index : at(stateInput, p);
      return [key.slice(0, -2), value];
    }),
  );
}

export interface ResultWriterContext {
  readonly stateMachineArn: string;
  /** The Map Run's ARN, as the run's executions record it. @default - a new one */
  readonly mapRunArn?: string;
  readonly executionName: string;
  readonly startedAt: string;
  readonly stoppedAt: string;
  /** Writes an object as the ResultWriter does: as the state machine's role (rejects when denied). */
  readonly putObject: (bucket: string, key: string, content: string) => Promise<void>;
}

/** Writes the Map's results as the ResultWriter does and returns the state the Map would have output. */
export async function writeMapResults(
  writer: EmulatedResultWriter,
  state: Record<string, unknown>,
  context: ResultWriterContext,
): Promise<Record<string, unknown>> {
  const outputs = at(state, writer.resultPath);
  const items = at(state, writer.itemsPath);
  if (!Array.isArray(outputs) || !Array.isArray(items) || outputs.length !== items.length) {
    throw new Error(`${writer.mapState}: expected one result per item at ${writer.resultPath}`);
  }
  const arnParts = context.stateMachineArn.split(':');
  const mapRunArn =
    context.mapRunArn ??
    [...arnParts.slice(0, 5), 'mapRun', `${arnParts[6]}/${writer.mapState}`, randomUUID()].join(':');
  const mapRunId = mapRunArn.split(':').pop()!;
  const folder = `${writer.prefix.replace(/\/$/, '')}/${mapRunId}`;
  const children = outputs.map((output, i) => ({
    ExecutionArn: `${mapRunArn.replace(':mapRun:', ':execution:')}:${i}`,
    Input: JSON.stringify(childInput(writer.itemSelector, state, items[i], i)),
    InputDetails: { Included: true },
    Name: String(i),
    Output: JSON.stringify(output),
    OutputDetails: { Included: true },
    RedriveCount: 0,
    RedriveStatus: 'NOT_REDRIVABLE',
    RedriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven',
    StartDate: context.startedAt,
    StateMachineArn: context.stateMachineArn,
    Status: 'SUCCEEDED',
    StopDate: context.stoppedAt,
  }));
  const succeeded = JSON.stringify(children);
  await context.putObject(writer.bucket, `${folder}/SUCCEEDED_0.json`, succeeded);
  const manifestKey = `${folder}/manifest.json`;
  await context.putObject(
    writer.bucket,
    manifestKey,
    JSON.stringify({
      DestinationBucket: writer.bucket,
      MapRunArn: mapRunArn,
      ResultFiles: {
        FAILED: [],
        PENDING: [],
        SUCCEEDED: [{ Key: `${folder}/SUCCEEDED_0.json`, Size: Buffer.byteLength(succeeded) }],
      },
    }),
  );
  return setAt(state, writer.resultPath, {
    MapRunArn: mapRunArn,
    ResultWriterDetails: { Bucket: writer.bucket, Key: manifestKey },
  });
}
