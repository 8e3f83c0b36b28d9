// Generated from beacon-domain's `format_span` by export-bindings. Do not edit.

/** (seconds, the text Rust's `format_span` gives them). */
export const SPAN_EXAMPLES: [number, string][] = [
  [0, "0s"],
  [1, "1s"],
  [59, "59s"],
  [60, "1m 00s"],
  [61, "1m 01s"],
  [599, "9m 59s"],
  [3599, "59m 59s"],
  [3600, "1h 00m"],
  [3661, "1h 01m"],
  [7325, "2h 02m"],
  [86399, "23h 59m"],
  [86400, "1d 0h"],
  [90061, "1d 1h"],
  [400000, "4d 15h"],
  [9000000, "104d 4h"],
];
