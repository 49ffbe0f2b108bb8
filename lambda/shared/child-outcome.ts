/**
 * What a child execution of the export Map says about its export: its result and, when the run still owes
 * it, the export's terminal event (held after EventBridge refused it, or made here for a child that failed
 * before it could send one). Summarize Run reads children from the Map's result files; the clean-up of an
 * ended run from Step Functions (DescribeExecution).
 */
import { EXPORT_DETAIL_TYPES } from '../../contract/names';
import type { EventEnvelope, ExportResult } from './types';

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

export function parseJsonObject(text: string | undefined): Record<string, unknown> | undefined {
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
  const output = parseJsonObject(child.Output);
  if (child.Status === 'SUCCEEDED' && typeof output?.name === 'string') {
    const { heldEvent, name, type, outcome } = output as {
      heldEvent?: OwedEvent;
      name: string;
      type: ExportResult['type'];
      outcome: ExportResult['outcome'];
    };
    return { result: { name, type, outcome }, ...(heldEvent ? { owed: heldEvent } : {}) };
  }
  const input = parseJsonObject(child.Input) as
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
