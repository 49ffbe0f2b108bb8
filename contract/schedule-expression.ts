/**
 * The rules EventBridge Scheduler applies to a schedule expression and its time zone, checked at synth so
 * that a bad schedule fails `cdk synth` with its field and value rather than the deployment.
 * @see https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html
 */
import type { Problem } from './validation';

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

interface CronField {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Special characters beyond `, - * /`. */
  readonly special: 'none' | 'day-of-month' | 'day-of-week';
}

const CRON_FIELDS: readonly CronField[] = [
  { name: 'minutes', min: 0, max: 59, special: 'none' },
  { name: 'hours', min: 0, max: 23, special: 'none' },
  { name: 'day-of-month', min: 1, max: 31, special: 'day-of-month' },
  { name: 'month', min: 1, max: 12, names: MONTHS, special: 'none' },
  { name: 'day-of-week', min: 1, max: 7, names: DAYS, special: 'day-of-week' },
  { name: 'year', min: 1970, max: 2199, special: 'none' },
];

const EXPECTED =
  'an EventBridge Scheduler expression: "rate(1 day)", "cron(0 3 * * ? *)" or "at(2026-01-01T00:00:00)"';

/** Checks `rate(...)`, `cron(...)` or `at(...)`; adds one problem naming what is wrong. */
export function checkScheduleExpression(value: unknown, field: string, problems: Problem[]): boolean {
  const fail = (why: string) => {
    problems.push({ field, value, expected: why ? `${EXPECTED} (${why})` : EXPECTED });
    return false;
  };
  if (typeof value !== 'string') return fail('');
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(value);
  if (rate) {
    const n = Number(rate[1]);
    if (n < 1) return fail('a rate of at least 1');
    // Scheduler wants "1 day" but "2 days".
    if ((n === 1) !== !rate[2].endsWith('s'))
      return fail(n === 1 ? 'a singular unit for 1' : 'a plural unit above 1');
    return true;
  }
  const at = /^at\((\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\)$/.exec(value);
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1).map(Number);
    const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    const real =
      date.getUTCFullYear() === y &&
      date.getUTCMonth() === mo - 1 &&
      date.getUTCDate() === d &&
      h < 24 &&
      mi < 60 &&
      s < 60;
    return real || fail('a real date and time');
  }
  const cron = /^cron\((.*)\)$/.exec(value);
  if (!cron) return fail('');
  const fields = cron[1].split(' ');
  if (fields.length !== 6) return fail(`6 cron fields, got ${fields.length}`);
  for (let i = 0; i < 6; i++) {
    const why = cronFieldProblem(fields[i], CRON_FIELDS[i]);
    if (why) return fail(`${CRON_FIELDS[i].name} "${fields[i]}": ${why}`);
  }
  // One of the day fields must be "?": Scheduler cannot combine a day of the month with a day of the week.
  if ((fields[2] === '?') === (fields[4] === '?'))
    return fail('"?" in exactly one of day-of-month and day-of-week');
  return true;
}

function cronFieldProblem(text: string, spec: CronField): string | undefined {
  const range = `${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}-${spec.names[spec.names.length - 1]}` : ''}`;
  if (text === '?') return spec.special === 'none' ? '"?" is only for the day fields' : undefined;
  if (spec.special === 'day-of-month' && /^(L|LW|L-\d{1,2}|\d{1,2}W)$/.test(text)) {
    const n = Number(/\d+/.exec(text)?.[0] ?? 1);
    return n >= 1 && n <= 31 ? undefined : `a day from 1 to 31`;
  }
  if (spec.special === 'day-of-week') {
    const nth = /^([A-Z]{3}|\d)#(\d)$/.exec(text);
    if (nth)
      return value(nth[1], spec) !== undefined && Number(nth[2]) >= 1 && Number(nth[2]) <= 5
        ? undefined
        : `a day ${range} and a week 1-5`;
    const last = /^([A-Z]{3}|\d)?L$/.exec(text);
    if (last)
      return last[1] === undefined || value(last[1], spec) !== undefined ? undefined : `a day ${range}`;
  }
  for (const item of text.split(',')) {
    const m = /^(\*|[A-Z0-9]+(?:-[A-Z0-9]+)?)(?:\/(\d+))?$/.exec(item);
    if (!m) return `values ${range} with "," "-" "*" "/"`;
    if (m[2] !== undefined && Number(m[2]) < 1) return 'a step of at least 1';
    if (m[1] === '*') continue;
    const bounds = m[1].split('-').map((v) => value(v, spec));
    if (bounds.some((b) => b === undefined)) return `values ${range}`;
  }
  return undefined;
}

function value(text: string, spec: CronField): number | undefined {
  const named = spec.names?.indexOf(text) ?? -1;
  if (named >= 0) return named + spec.min;
  if (!/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n >= spec.min && n <= spec.max ? n : undefined;
}

let timeZones: Set<string> | undefined;

/** Checks an IANA time zone name against the runtime's list (plus "UTC", which some lists leave out). */
export function checkTimeZone(value: unknown, field: string, problems: Problem[]): boolean {
  timeZones ??= new Set([...Intl.supportedValuesOf('timeZone'), 'UTC']);
  if (typeof value === 'string' && timeZones.has(value)) return true;
  problems.push({ field, value, expected: 'an IANA time zone such as "UTC" or "Europe/Berlin"' });
  return false;
}
