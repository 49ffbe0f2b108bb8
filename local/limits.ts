/**
 * Limits the local run holds to as AWS does, and the folder it may write in: execution names as Step
 * Functions accepts them, the 256 KiB payload limit of states, and file paths that stay inside the run's
 * output folder.
 */
import * as path from 'node:path';

/** Step Functions' limit on a state's input or output, and on an execution's input. */
export const MAX_PAYLOAD_BYTES = 262_144;

/** Characters Step Functions refuses in an execution name (besides whitespace and control characters). */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNPRINTABLE = /[\s\u0000-\u001f\u007f-\u009f]/;
// eslint-disable-next-line no-control-regex -- control characters are exactly what is shown escaped
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const FORBIDDEN_NAME_CHARACTERS = '<>{}[]?*"#%\\^|~`$&,;:/';

/**
 * Why Step Functions (or the local run, which uses the name as a folder) would refuse `name` as an
 * execution name, in one line; undefined when it is fine.
 */
export function executionNameProblem(name: string): string | undefined {
  const length = [...name].length;
  if (length < 1 || length > 80)
    return `execution name must be 1-80 characters; got ${length}${length > 80 ? ` ("${[...name].slice(0, 20).join('')}...")` : ''}`;
  const bad = [...name].find((c) => UNPRINTABLE.test(c) || FORBIDDEN_NAME_CHARACTERS.includes(c));
  if (bad !== undefined) {
    const shown = UNPRINTABLE.test(bad)
      ? `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`
      : `"${bad}"`;
    return `execution name "${printable(name)}" contains ${shown}; Step Functions refuses whitespace, < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : / and control characters`;
  }
  if (name === '.' || name === '..')
    return `execution name "${name}" cannot be used: the local run writes each execution to a folder of that name`;
  return undefined;
}

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True when `file` is `folder` itself or below it, after resolving `..` segments. */
export function isInside(folder: string, file: string): boolean {
  const relative = path.relative(path.resolve(folder), path.resolve(file));
  return (
    relative === '' ||
    (!relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative))
  );
}

/** The error a state gets when its input or output is over the 256 KiB limit. */
export class DataLimitExceeded extends Error {
  override readonly name = 'States.DataLimitExceeded';
  /** aws-local-stepfunctions: States.ALL neither retries nor catches it, as in AWS. */
  readonly isRetryable: boolean;
  readonly isCatchable: boolean;

  constructor(
    stateName: string,
    what: 'input' | 'output' | 'result',
    bytes: number,
    explicitlyHandled = false,
  ) {
    super(
      `The state/task '${stateName}' ${what} is ${bytes.toLocaleString('en-US')} bytes, more than the ` +
        `maximum of ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')} bytes`,
    );
    this.isRetryable = explicitlyHandled;
    this.isCatchable = explicitlyHandled;
  }
}

/** Size of a value as Step Functions counts it: its JSON in UTF-8. */
export function payloadBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/** A run the local runner will not start (a bad name, input too large, a folder it must not empty). */
/** Refuses an execution Step Functions would not start: a bad name, or input over 256 KiB. */
export function refuseStart(executionName: string, input: unknown): void {
  const nameProblem = executionNameProblem(executionName);
  if (nameProblem) throw new LocalRunRefused(nameProblem);
  const inputBytes = payloadBytes(input);
  if (inputBytes > MAX_PAYLOAD_BYTES)
    throw new LocalRunRefused(
      `execution input is ${inputBytes.toLocaleString('en-US')} bytes; Step Functions accepts at most ` +
        `${MAX_PAYLOAD_BYTES.toLocaleString('en-US')}`,
    );
}

export class LocalRunRefused extends Error {
  override readonly name = 'LocalRunRefused';

  /**
   * @param message why, in one line
   * @param details what to show before that line (a configuration's problems, a synth error)
   */
  constructor(
    message: string,
    readonly details?: string,
  ) {
    super(message);
  }
}

/** The file that marks a folder as a local run's own, which a later run of the same name may empty. */
export const RUN_FOLDER_MARKER = '.local-run';
