/**
 * X-TIMESTAMP as seen in the wild: the forms providers and clients actually send, each with
 * the instant it names or the reason it is refused.
 */
import assert from 'node:assert/strict';

import { SnapcheckError } from '../src/errors.js';
import { formatTimestamp, parseTimestamp } from '../src/timestamp.js';

describe('parseTimestamp', () => {
  /** [value, epochMs, offsetMinutes, utc, fractionDigits] */
  const accepted: [string, number, number, boolean, number][] = [
    // DOKU's prose: UTC with Z.
    ['2020-09-22T01:51:00Z', 1600739460000, 0, true, 0],
    // DOKU's example: WIB.
    ['2022-10-07T14:18:39+07:00', 1665127119000, 420, false, 0],
    // SNAP's pattern yyyy-MM-ddTHH:mm:ss.SSSTZD.
    ['2024-01-15T08:30:00.123Z', 1705307400123, 0, true, 3],
    ['2024-01-15T15:30:00.123456+07:00', 1705307400123, 420, false, 6],
    ['2024-01-15T08:30:00.1Z', 1705307400100, 0, true, 1],
    ['2024-01-15T08:30:00.123456789Z', 1705307400123, 0, true, 9],
    ['2022-10-07T14:18:39+00:00', 1665152319000, 0, false, 0],
    ['2022-10-07T14:18:39-03:30', 1665164919000, -210, false, 0],
    ['2022-10-07T14:18:39+14:00', 1665101919000, 840, false, 0],
    ['2022-10-07T14:18:39+23:59', 1665065979000, 1439, false, 0],
    ['2024-02-29T00:00:00Z', 1709164800000, 0, true, 0],
    ['2000-02-29T12:00:00Z', 951825600000, 0, true, 0],
    ['1969-12-31T23:59:59.999Z', -1, 0, true, 3],
    ['0001-01-01T00:00:00Z', -62135596800000, 0, true, 0],
    ['9999-12-31T23:59:59Z', 253402300799000, 0, true, 0],
  ];

  for (const [value, epochMs, offsetMinutes, utc, fractionDigits] of accepted) {
    it(`reads ${value}`, () => {
      assert.deepEqual(parseTimestamp(value), {
        ok: true,
        epochMs,
        offsetMinutes,
        utc,
        fractionDigits,
      });
    });
  }

  const refused: [string, string][] = [
    ['2022-10-07T14:18:39', 'no UTC offset: add Z or +07:00'],
    ['2022-10-07T14:18:39.123', 'no UTC offset: add Z or +07:00'],
    ['2022-10-07T14:18:39-00:00', 'offset -00:00 means "local offset unknown" (RFC 3339): write Z'],
    ['2022-10-07T14:18:39+0700', 'offset +0700 has no colon: write +07:00'],
    ['2022-10-07T14:18:39+7:00', 'offset +7:00 needs two-digit hours: write +07:00'],
    ['2022-10-07T14:18:39+07', 'offset +07 has no minutes: write +07:00'],
    ['2022-10-07T14:18:39+24:00', 'offset +24:00 has hours out of range 00-23'],
    ['2022-10-07T14:18:39+07:60', 'offset +07:60 has minutes out of range 00-59'],
    ['2022-10-07T14:18:39 +07:00', 'space before the offset'],
    ['2022-10-07T14:18:39GMT+7', 'offset is not Z or ±HH:MM'],
    ['2022-10-07T14:18:39+07:00[Asia/Jakarta]', 'unexpected text after the offset'],
    ['2022-10-07T14:18:39Zjunk', 'unexpected text after the offset'],
    ['2022-02-30T10:00:00Z', '2022-02-30 does not exist: February 2022 has 28 days'],
    ['2023-02-29T10:00:00Z', '2023-02-29 does not exist: February 2023 has 28 days'],
    ['1900-02-29T10:00:00Z', '1900-02-29 does not exist: February 1900 has 28 days'],
    ['2022-04-31T10:00:00Z', '2022-04-31 does not exist: April 2022 has 30 days'],
    ['2022-10-00T10:00:00Z', '2022-10-00 does not exist: October 2022 has 31 days'],
    ['2022-13-01T10:00:00Z', 'month 13 is out of range 01-12'],
    ['2022-00-10T10:00:00Z', 'month 00 is out of range 01-12'],
    ['2022-10-07T24:00:00Z', 'hour 24 is out of range 00-23: write 00:00:00 of the next day'],
    ['2022-10-07T25:00:00Z', 'hour 25 is out of range 00-23'],
    ['2022-10-07T14:60:00Z', 'minute 60 is out of range 00-59'],
    ['2016-12-31T23:59:60Z', 'second 60 (a leap second) is not accepted'],
    ['2022-10-07T14:18:61Z', 'second 61 is out of range 00-59'],
    ['2022-10-07 14:18:39+07:00', 'date and time are separated by a space: use T'],
    ['2022-10-07t14:18:39Z', 'lowercase t between date and time'],
    ['2022-10-07T14:18:39z', 'lowercase z: ISO-8601 needs an uppercase Z'],
    ['2022-10-07_14:18:39Z', 'date and time are separated by "_": use T'],
    ['2022-10-07T14:18Z', 'time without seconds: write HH:mm:ss'],
    ['2022-10-07T4:18:39Z', 'time is not HH:mm:ss'],
    ['2022-10-07T14:18:39.1234567890Z', 'fraction of a second has 10 digits: use 1 to 9'],
    ['2022-10-07T14:18:39,123Z', 'decimal comma in the seconds: use a dot'],
    ['2022-10-07T14:18:39.Z', 'a dot after the seconds without digits'],
    ['2022-10-07', 'date without a time'],
    ['07/10/2022 14:18:39', 'date is not YYYY-MM-DD'],
    ['2022-1-7T14:18:39Z', 'date is not YYYY-MM-DD'],
    ['1665127119000', 'a bare number, not an ISO-8601 date-time'],
    ['20221007T141839Z', 'basic ISO-8601 format without - and ":"'],
    [' 2022-10-07T14:18:39Z', 'whitespace around the timestamp'],
    ['', 'empty timestamp'],
  ];

  for (const [value, reason] of refused) {
    it(`refuses ${JSON.stringify(value)}: ${reason}`, () => {
      const parsed = parseTimestamp(value);
      assert.equal(parsed.ok, false);
      if (parsed.ok) return;
      assert.ok(
        parsed.reason.includes(reason),
        `reason ${JSON.stringify(parsed.reason)} lacks ${JSON.stringify(reason)}`,
      );
    });
  }
});

describe('formatTimestamp', () => {
  const instant = new Date(1665127119123); // 2022-10-07T07:18:39.123Z

  const cases: [string, Parameters<typeof formatTimestamp>[1], string][] = [
    ['UTC with Z and no fraction by default', undefined, '2022-10-07T07:18:39Z'],
    ['WIB for an offset of 420', { offsetMinutes: 420 }, '2022-10-07T14:18:39+07:00'],
    ['milliseconds on request', { milliseconds: true }, '2022-10-07T07:18:39.123Z'],
    [
      'WIB with milliseconds',
      { offsetMinutes: 420, milliseconds: true },
      '2022-10-07T14:18:39.123+07:00',
    ],
    ['a negative half-hour offset', { offsetMinutes: -210 }, '2022-10-07T03:48:39-03:30'],
    ['Z for an offset of 0', { offsetMinutes: 0 }, '2022-10-07T07:18:39Z'],
  ];

  for (const [name, options, expected] of cases) {
    it(`writes ${name}`, () => {
      assert.equal(formatTimestamp(instant, options), expected);
    });
  }

  it('moves to the next day and year when the offset crosses midnight', () => {
    const evening = new Date(Date.UTC(2022, 11, 31, 20, 0, 0));
    assert.equal(formatTimestamp(evening, { offsetMinutes: 420 }), '2023-01-01T03:00:00+07:00');
  });

  const roundTrips: [number, number, boolean][] = [
    [1665127119123, 0, false],
    [1665127119123, 420, true],
    [1709164800000, -300, true],
    [-1, 0, true],
    [951825599999, 330, false],
  ];

  for (const [epochMs, offsetMinutes, milliseconds] of roundTrips) {
    it(`round-trips ${epochMs} at offset ${offsetMinutes}, ms ${milliseconds}`, () => {
      const written = formatTimestamp(new Date(epochMs), { offsetMinutes, milliseconds });
      const kept = milliseconds ? epochMs : Math.floor(epochMs / 1000) * 1000;
      assert.deepEqual(parseTimestamp(written), {
        ok: true,
        epochMs: kept,
        offsetMinutes,
        utc: offsetMinutes === 0,
        fractionDigits: milliseconds ? 3 : 0,
      });
    });
  }

  const misuse: [string, Date, number, string][] = [
    ['a fractional offset', instant, 1.5, 'ERR_TIMESTAMP_OFFSET'],
    ['an offset beyond 23:59', instant, 24 * 60, 'ERR_TIMESTAMP_OFFSET'],
    ['an invalid date', new Date(Number.NaN), 0, 'ERR_TIMESTAMP_DATE'],
    ['a year past 9999', new Date(Date.UTC(10000, 0, 1)), 0, 'ERR_TIMESTAMP_DATE'],
  ];

  for (const [name, date, offsetMinutes, code] of misuse) {
    it(`refuses ${name} with ${code}`, () => {
      assert.throws(
        () => formatTimestamp(date, { offsetMinutes }),
        (error: unknown) => error instanceof SnapcheckError && error.code === code,
      );
    });
  }
});
