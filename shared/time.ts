/** ISO-8601 UTC with milliseconds, the only timestamp format on the wire and in the log. */
export function isoNow(now: Date = new Date()): string {
  return now.toISOString();
}
