/** Checks that the state a task receives is what the state machine promised, before any AWS call. */
import { InvalidTaskStateError } from './errors';
import type { ExportState, ExportTask, GlueJobRef, PersonalizeJobRef, Tracking } from './types';

export type GlueTask = Extract<ExportTask, { type: 'glue' }>;
export type PersonalizeTask = Extract<ExportTask, { type: 'personalize' }>;

export function requireExport<T extends ExportTask['type']>(
  state: Pick<ExportState, 'export' | 'run'>,
  type: T,
): Extract<ExportTask, { type: T }> {
  if (state?.export?.type !== type || !state.run?.polling) {
    throw new InvalidTaskStateError(
      `expected a ${type} export with its run context; got export ${JSON.stringify(state?.export)} and run ${JSON.stringify(state?.run)}`,
    );
  }
  return state.export as Extract<ExportTask, { type: T }>;
}

export function requireTracking<J extends GlueJobRef | PersonalizeJobRef>(
  state: ExportState,
  key: keyof J,
): Tracking & { job: J } {
  const tracking = state.tracking;
  if (
    !tracking ||
    typeof (tracking.job as unknown as Record<string, unknown>)?.[key as string] !== 'string'
  ) {
    throw new InvalidTaskStateError(
      `expected tracking.job.${String(key)} from the start task; got ${JSON.stringify(tracking)}`,
    );
  }
  return tracking as Tracking & { job: J };
}
