/**
 * X-TIMESTAMP: reading and writing the ISO-8601 date-time with offset that SNAP puts in the
 * token request and response (RFC 3339 §5.6 is the profile followed).
 *
 * Accepted: `YYYY-MM-DDTHH:mm:ss`, an optional fraction of 1 to 9 digits, then `Z` or
 * `±HH:MM`. Choices where the sources leave room, each for the reason given:
 *
 * - Lowercase `t` and `z` are refused. RFC 3339 allows them, ISO-8601 does not, and the
 *   Java parsers most SNAP providers run are case-sensitive.
 * - `-00:00` is refused: RFC 3339 §4.3 gives it the meaning "local offset unknown", so it
 *   does not say which instant is meant; UTC is written `Z`.
 * - Offset hours up to 23 are accepted, as RFC 3339's grammar allows and the rule catalogue
 *   (`request.timestamp.calendar`) states, although real zones stop at +14:00.
 * - Second 60 (a leap second) is refused: Java's ISO offset parser and JavaScript's Date
 *   both reject it, so no provider would take it.
 */
import { SnapcheckError } from './errors.js';

export type ParsedTimestamp =
  | {
      ok: true;
      /** The instant, in milliseconds since 1970-01-01T00:00:00Z; digits past ms dropped. */
      epochMs: number;
      /** The written offset east of UTC, in minutes: 420 for `+07:00`, 0 for `Z`. */
      offsetMinutes: number;
      /** Written with `Z`, as DOKU's prose asks (`+00:00` is UTC too, but not this). */
      utc: boolean;
      /** Digits after the seconds' dot; 0 when there is no fraction. */
      fractionDigits: number;
    }
  | {
      ok: false;
      /** One sentence naming what is wrong and how to write it instead. */
      reason: string;
    };

/** The one shape accepted; anything else goes through `diagnose` for a precise reason. */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/;

const EXAMPLE = '2020-09-22T01:51:00Z';

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** Parses an X-TIMESTAMP value: one regular expression and arithmetic, no Date parsing. */
export function parseTimestamp(value: string): ParsedTimestamp {
  const match = TIMESTAMP.exec(value);
  if (match === null) return { ok: false, reason: diagnose(value) };

  const [, year, month, day, hour, minute, second, fraction = '', sign, offH, offM] = match;
  const fields = {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: Number(hour),
    minute: Number(minute),
    second: Number(second),
  };
  const offsetHours = Number(offH ?? 0);
  const offsetMins = Number(offM ?? 0);
  const problem =
    calendarProblem(fields) ?? offsetProblem(sign, offsetHours, offsetMins, value.slice(-6));
  if (problem !== undefined) return { ok: false, reason: problem };

  const offsetMinutes = (sign === '-' ? -1 : 1) * (offsetHours * 60 + offsetMins);
  const millis = Number(fraction.slice(0, 3).padEnd(3, '0'));
  return {
    ok: true,
    epochMs: epochMillis(fields, offsetMinutes) + millis,
    offsetMinutes,
    utc: sign === undefined,
    fractionDigits: fraction.length,
  };
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function isLeapYear(year: number): boolean {
  return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** The reason the fields do not name a real wall-clock time, if they do not. */
function calendarProblem(f: Fields): string | undefined {
  if (f.month < 1 || f.month > 12) return `month ${pad(f.month)} is out of range 01-12`;

  const days = daysInMonth(f.year, f.month);
  if (f.day < 1 || f.day > days) {
    const date = `${f.year}-${pad(f.month)}-${pad(f.day)}`;
    return `${date} does not exist: ${MONTH_NAMES[f.month - 1]} ${f.year} has ${days} days`;
  }
  if (f.hour === 24) return 'hour 24 is out of range 00-23: write 00:00:00 of the next day';
  if (f.hour > 23) return `hour ${f.hour} is out of range 00-23`;
  if (f.minute > 59) return `minute ${f.minute} is out of range 00-59`;
  if (f.second === 60) return 'second 60 (a leap second) is not accepted: write 59';
  if (f.second > 59) return `second ${f.second} is out of range 00-59`;
  return undefined;
}

function offsetProblem(
  sign: string | undefined,
  hours: number,
  minutes: number,
  written: string,
): string | undefined {
  if (sign === undefined) return undefined;
  if (sign === '-' && hours === 0 && minutes === 0) {
    return 'offset -00:00 means "local offset unknown" (RFC 3339): write Z for UTC';
  }
  if (hours > 23) return `offset ${written} has hours out of range 00-23`;
  if (minutes > 59) return `offset ${written} has minutes out of range 00-59`;
  return undefined;
}

/**
 * Days from 1970-01-01 to the given civil date in the proleptic Gregorian calendar, counted
 * in 400-year eras (146097 days each) that start on 1 March, so that the leap day falls at
 * the end of an era's year. Avoids Date, whose UTC() maps years 0-99 to 1900-1999.
 */
function daysFromEpoch(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const monthFromMarch = month > 2 ? month - 3 : month + 9;
  const dayOfYear = Math.floor((153 * monthFromMarch + 2) / 5) + day - 1;
  const dayOfEra =
    yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function epochMillis(f: Fields, offsetMinutes: number): number {
  const days = daysFromEpoch(f.year, f.month, f.day);
  const seconds = days * 86400 + f.hour * 3600 + f.minute * 60 + f.second - offsetMinutes * 60;
  return seconds * 1000;
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

// ---- why a value does not parse --------------------------------------------------------

/**
 * Names the first thing wrong with a value the strict pattern refused. Only runs on the
 * failure path, so it may take several looks at the value.
 */
function diagnose(value: string): string {
  if (value === '') return `empty timestamp: write an ISO-8601 date-time such as ${EXAMPLE}`;
  if (value.trim() !== value) return 'whitespace around the timestamp: send the value alone';
  if (/^\d+$/.test(value)) return `a bare number, not an ISO-8601 date-time such as ${EXAMPLE}`;
  if (/^\d{8}T\d{4}/.test(value)) {
    return `basic ISO-8601 format without - and ":": write the extended form ${EXAMPLE}`;
  }
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) {
    return `date is not YYYY-MM-DD (four-digit year, two-digit month and day), as in ${EXAMPLE}`;
  }
  return separatorProblem(value) ?? timeProblem(value) ?? tailProblem(value.slice(19));
}

function separatorProblem(value: string): string | undefined {
  const separator = value[10];
  if (separator === undefined) return 'date without a time: add THH:mm:ss and an offset';
  if (separator === ' ') return 'date and time are separated by a space: use T';
  if (separator === 't') return 'lowercase t between date and time: ISO-8601 needs an uppercase T';
  if (separator !== 'T') return `date and time are separated by "${separator}": use T`;
  return undefined;
}

function timeProblem(value: string): string | undefined {
  const time = value.slice(11);
  if (/^\d{2}:\d{2}:\d{2}/.test(time)) return undefined;
  if (/^\d{2}:\d{2}(?!:)/.test(time)) return 'time without seconds: write HH:mm:ss';
  return 'time is not HH:mm:ss (two digits each)';
}

/** What follows the seconds: an optional fraction, then the offset, then nothing. */
function tailProblem(tail: string): string {
  if (tail.startsWith(',')) return 'decimal comma in the seconds: use a dot';
  const fraction = /^\.(\d*)/.exec(tail);
  const digits = fraction?.[1]?.length ?? 0;
  if (fraction !== null && digits === 0) return 'a dot after the seconds without digits';
  if (digits > 9) return `fraction of a second has ${digits} digits: use 1 to 9 (3 for ms)`;
  return offsetShapeProblem(tail.slice(fraction?.[0].length ?? 0));
}

function offsetShapeProblem(offset: string): string {
  if (offset === '') return 'no UTC offset: add Z or +07:00';
  if (offset === 'z') return 'lowercase z: ISO-8601 needs an uppercase Z';
  if (offset.startsWith(' ')) return 'space before the offset: write it right after the time';
  if (/^[+-]\d{4}$/.test(offset)) {
    return `offset ${offset} has no colon: write ${offset.slice(0, 3)}:${offset.slice(3)}`;
  }
  if (/^[+-]\d:\d{2}$/.test(offset)) {
    return `offset ${offset} needs two-digit hours: write ${offset[0]}0${offset.slice(1)}`;
  }
  if (/^[+-]\d{2}$/.test(offset)) return `offset ${offset} has no minutes: write ${offset}:00`;
  if (/^(Z|[+-]\d{2}:\d{2})./.test(offset)) return 'unexpected text after the offset';
  return `offset is not Z or ±HH:MM (as in +07:00)`;
}

// ---- writing ---------------------------------------------------------------------------

export interface FormatTimestampOptions {
  /** Minutes east of UTC; 0 (the default) writes `Z`, 420 writes `+07:00` (WIB). */
  offsetMinutes?: number;
  /** Add `.SSS`, as SNAP's `yyyy-MM-ddTHH:mm:ss.SSSTZD` pattern shows. */
  milliseconds?: boolean;
}

/** Largest offset RFC 3339's grammar can write: 23:59. */
const MAX_OFFSET_MINUTES = 23 * 60 + 59;

/**
 * Writes an X-TIMESTAMP for `date`. The default, UTC with `Z` and no fraction, is the form
 * DOKU's prose asks for and every provider reads.
 */
export function formatTimestamp(date: Date, options: FormatTimestampOptions = {}): string {
  const offsetMinutes = options.offsetMinutes ?? 0;
  checkFormatInputs(date, offsetMinutes);

  const wall = new Date(date.getTime() + offsetMinutes * 60_000);
  const year = pad(wall.getUTCFullYear(), 4);
  const day = `${year}-${pad(wall.getUTCMonth() + 1)}-${pad(wall.getUTCDate())}`;
  const clock = [wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds()];
  const time = clock.map((part) => pad(part)).join(':');
  const fraction = options.milliseconds === true ? `.${pad(wall.getUTCMilliseconds(), 3)}` : '';
  return `${day}T${time}${fraction}${formatOffset(offsetMinutes)}`;
}

function formatOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'Z';
  const sign = offsetMinutes < 0 ? '-' : '+';
  const size = Math.abs(offsetMinutes);
  return `${sign}${pad(Math.floor(size / 60))}:${pad(size % 60)}`;
}

function checkFormatInputs(date: Date, offsetMinutes: number): void {
  if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) > MAX_OFFSET_MINUTES) {
    throw new SnapcheckError(
      'ERR_TIMESTAMP_OFFSET',
      `offset of ${offsetMinutes} minutes cannot be written as ±HH:MM: use whole minutes ` +
        `within ±${MAX_OFFSET_MINUTES}`,
    );
  }
  const year = new Date(date.getTime() + offsetMinutes * 60_000).getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999) {
    throw new SnapcheckError(
      'ERR_TIMESTAMP_DATE',
      'cannot write a timestamp for an invalid date or a year outside 0000-9999',
    );
  }
}
