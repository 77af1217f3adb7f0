/** Limits of the protocol. Documented in docs/PROTOCOL.md; change both together. */
export const LIMITS = {
  /** Largest body the coordinator reads on any queue, in bytes (UTF-8 JSON). */
  maxPayloadBytes: 16 * 1024,
  /** Longest chat text, in Unicode code points. */
  maxTextLength: 2000,
  /** Longest user name, in Unicode code points. */
  maxNameLength: 32,
  /** Most messages one history or /mymsgs reply carries. */
  maxHistoryPage: 500,
} as const;

export const DEFAULT_ROOM = 'general';
