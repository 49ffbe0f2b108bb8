/**
 * A Distributed Map runs each item as a child execution of the state machine, which Step Functions starts
 * as the state machine's role (states:StartExecution on the state machine itself).
 * aws-local-stepfunctions runs the items in process with no such request, so the local run puts a step
 * before each Distributed Map that authorizes the starts, one per item, and passes its input on untouched;
 * like the ResultWriter step it is not counted as a state. A denial fails the execution there, before any
 * child runs.
 * https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
 */
import type { StateMachineAccess } from './access/state-machine-access';
import { withResultWriterSteps } from './result-writer';
import type { SimClock } from './sim-clock';

type States = Record<string, Record<string, unknown>>;

export interface MapStartStep {
  readonly mapState: string;
  readonly itemsPath: string;
}

/** The name of the local step that starts a Map's child executions. */
export function mapStartStepName(mapState: string): string {
  return `${mapState} (child executions)`;
}

/** The state a local step stands in front of or after, for people: the Map itself. */
export function ownerOfLocalStep(stateName: string): string {
  return stateName.replace(/ \((child executions|ResultWriter)\)$/, '');
}

const isDistributed = (state: Record<string, unknown>) =>
  state.Type === 'Map' &&
  (state.ItemProcessor as { ProcessorConfig?: { Mode?: string } } | undefined)?.ProcessorConfig?.Mode ===
    'DISTRIBUTED';

/** A copy of the definition with a start step in front of each top-level Distributed Map. */
export function withMapStartSteps(definition: Record<string, unknown>): {
  definition: Record<string, unknown>;
  steps: Map<string, MapStartStep>;
} {
  const states = JSON.parse(JSON.stringify(definition.States)) as States;
  const steps = new Map<string, MapStartStep>();
  let startAt = String(definition.StartAt);
  for (const [name, state] of Object.entries(states)) {
    if (!isDistributed(state)) continue;
    const step = mapStartStepName(name);
    steps.set(step, { mapState: name, itemsPath: String(state.ItemsPath ?? '$') });
    // Every way into the Map now goes through the step.
    const redirect = (target: unknown) => (target === name ? step : target);
    for (const other of Object.values(states)) {
      if (other.Next !== undefined) other.Next = redirect(other.Next);
      if (other.Default !== undefined) other.Default = redirect(other.Default);
      for (const choice of (other.Choices as { Next?: string }[] | undefined) ?? [])
        choice.Next = redirect(choice.Next) as string;
      for (const katch of (other.Catch as { Next?: string }[] | undefined) ?? [])
        katch.Next = redirect(katch.Next) as string;
    }
    if (startAt === name) startAt = step;
    states[step] = {
      Type: 'Task',
      Comment: `Local stand-in for the child execution starts of ${name}`,
      Resource: 'arn:aws:states:::local:startChildExecutions',
      Next: name,
    };
  }
  return { definition: { ...definition, StartAt: startAt, States: states }, steps };
}

/**
 * The definition as the local run executes it: a start step before each Distributed Map and a ResultWriter
 * step after it (local/result-writer.ts), neither counted as a state.
 */
export function withLocalSteps(definition: Record<string, unknown>) {
  const written = withResultWriterSteps(definition);
  const started = withMapStartSteps(written.definition);
  return {
    definition: started.definition,
    resultWriterSteps: written.steps,
    mapStartSteps: started.steps,
    isLocalStep: (name: string) => written.steps.has(name) || started.steps.has(name),
  };
}

/** `$.a.b` of a JSON value (the ItemsPath forms the workflow uses). */
function itemsAt(value: unknown, jsonPath: string): unknown[] {
  const found = jsonPath
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((v, key) => (v as Record<string, unknown> | undefined)?.[key], value);
  return Array.isArray(found) ? found : [];
}

/** Authorizes one child execution start per item, then hands the Map its input. */
export function mapStartHandler(step: MapStartStep, access: StateMachineAccess, clock: SimClock) {
  return async (input: unknown): Promise<unknown> => {
    clock.taskStarted();
    try {
      const items = itemsAt(input, step.itemsPath);
      await access.require(
        'mapRun',
        items.map(() => ({ action: 'states:StartExecution', resource: access.stateMachineArn })),
      );
      return input;
    } finally {
      clock.taskEnded();
    }
  };
}

/**
 * A redrive of a Map Run redrives its unsuccessful child executions as the state machine's role
 * (states:RedriveExecution on `execution:<state machine>/<map run label>:<id>`).
 * https://docs.aws.amazon.com/step-functions/latest/dg/redrive-map-run.html#maprun-iam-permission
 */
export async function authorizeChildRedrives(
  access: StateMachineAccess,
  mapState: string,
  executionName: string,
  indexes: readonly number[],
): Promise<void> {
  const executions = access.stateMachineArn.replace(':stateMachine:', ':execution:');
  await access.require(
    'mapRun',
    indexes.map((i) => ({
      action: 'states:RedriveExecution',
      resource: `${executions}/${mapState}:${executionName}-${i}`,
    })),
  );
}
