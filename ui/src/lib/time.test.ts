import { describe, expect, it } from 'vitest';
import { SPAN_EXAMPLES } from '../bindings/spanExamples';
import { formatAge, formatCountdown, formatSpan, secondsUntil, urgencyOf } from './time';

describe('formatSpan', () => {
  it('writes every span as Rust\'s format_span does (examples generated from it)', () => {
    expect(SPAN_EXAMPLES.length).toBeGreaterThan(10);
    for (const [seconds, text] of SPAN_EXAMPLES) expect([seconds, formatSpan(seconds)]).toEqual([seconds, text]);
  });
  it('is compact at every scale', () => {
    expect(formatSpan(0)).toBe('0s');
    expect(formatSpan(59)).toBe('59s');
    expect(formatSpan(61)).toBe('1m 01s');
    expect(formatSpan(3600 + 5 * 60)).toBe('1h 05m');
    expect(formatSpan(2 * 86400 + 4 * 3600)).toBe('2d 4h');
    expect(formatSpan(-90)).toBe('1m 30s');
  });
});

describe('countdown', () => {
  it('says which target and whether it is past', () => {
    expect(formatCountdown(250, 'acknowledge')).toBe('ack in 4m 10s');
    expect(formatCountdown(-182, 'acknowledge')).toBe('ack overdue 3m 02s');
    expect(formatCountdown(30, 'arrive')).toBe('on scene in 30s');
  });
  it('ages from received', () => {
    expect(formatAge(0, 724_000)).toBe('12m 04s ago');
  });
  it('counts down from the due time', () => {
    expect(secondsUntil('1970-01-01T00:01:00Z', 30_000)).toBe(30);
  });
});

describe('urgency colour', () => {
  it('turns red past the target', () => {
    expect(urgencyOf(-1, 900)).toBe('overdue');
  });
  it('turns amber within ten minutes for short targets', () => {
    expect(urgencyOf(600, 900)).toBe('near');
    expect(urgencyOf(601, 900)).toBe('ok');
  });
  it('turns amber in the last quarter of long targets', () => {
    const day = 86400;
    expect(urgencyOf(day * 0.25, day)).toBe('near');
    expect(urgencyOf(day * 0.5, day)).toBe('ok');
  });
});
