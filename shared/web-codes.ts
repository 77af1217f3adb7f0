/** The web gateway protocol's constants, apart from its schemas so the page's bundle carries no zod. */

/** Codes of the gateway's own errors (a call's failure carries the client library's code instead). */
export const WEB_ERROR_CODES = {
  /** Not JSON, or not a frame this protocol knows; the connection stays open. */
  FRAME_INVALID: 'FRAME_INVALID',
  /** Longer than WEB_LIMITS.maxFrameBytes; the connection stays open. */
  FRAME_TOO_LARGE: 'FRAME_TOO_LARGE',
  /** The first frame must be `hello`, and only the first. */
  HELLO_REQUIRED: 'HELLO_REQUIRED',
  HELLO_REPEATED: 'HELLO_REPEATED',
  /** A resume token the gateway does not know (expired, or the gateway restarted): log in again. */
  RESUME_UNKNOWN: 'RESUME_UNKNOWN',
  /** The gateway holds as many sessions as it may. */
  TOO_MANY_SESSIONS: 'TOO_MANY_SESSIONS',
  /** A call that needs a login before it (or a login after one). */
  NOT_LOGGED_IN: 'NOT_LOGGED_IN',
  /** The page is sending faster than WEB_LIMITS.framesPerSecond: this frame was dropped. */
  FRAME_RATE: 'FRAME_RATE',
} as const;
export type WebErrorCode = (typeof WEB_ERROR_CODES)[keyof typeof WEB_ERROR_CODES];

export const WEB_LIMITS = {
  /** Largest frame the gateway reads (a chat line of maxTextLength code points fits several times). */
  maxFrameBytes: 32 * 1024,
  /** Frames past this per second and socket are refused with FRAME_RATE (one token bucket). */
  framesPerSecond: 50,
  /** The page's own references to match results: short strings. */
  maxRefLength: 64,
} as const;

/** WebSocket close codes the gateway uses (4000–4999 are the application's). */
export const WEB_CLOSE_CODES = {
  /** Another socket resumed this session (a duplicated tab): this one is no longer served. */
  TAKEN_OVER: 4001,
  /** The session ended (logout, or the gateway is shutting down). */
  ENDED: 4002,
} as const;
