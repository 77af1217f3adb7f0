import { DEFAULT_QUEUE_CAPS, setting, wholeNumber, type QueueCaps, type SettingsOf } from '../shared/index.js';
import { DEFAULT_DEAD_LETTER_BODY_BYTES } from './output/dead-letter-body.js';
import { DEFAULT_TOPOLOGY_CHECK_MS } from './sweeps/topology-watch.js';

const MiB = 1024 * 1024;

/**
 * Entries for the server settings table (server/config.ts): the caps of the queues the
 * coordinator declares (docs/SECURITY.md "Caps") and how often it checks its topology
 * (docs/RELIABILITY.md). Changing a cap of an existing deployment is a re-declare with other
 * arguments: RabbitMQ refuses it (406) until the queue is deleted once, and start-up says so.
 */
export const QUEUE_CAP_SETTINGS = {
  inputMaxLength: setting({ env: 'WARREN_INPUT_MAX_LENGTH', flag: 'input-max-length', description: 'messages each input queue (chat, commands) holds before the broker refuses new ones to their sender', default: DEFAULT_QUEUE_CAPS.inputMaxLength, schema: wholeNumber(1, 10_000_000) }),
  inputMaxBytes: setting({ env: 'WARREN_INPUT_MAX_BYTES', flag: 'input-max-bytes', description: 'body bytes each input queue holds before the broker refuses new messages to their sender', default: DEFAULT_QUEUE_CAPS.inputMaxBytes, schema: wholeNumber(1024, 16 * 1024 * MiB) }),
  deadLetterMaxLength: setting({ env: 'WARREN_DEAD_LETTER_MAX_LENGTH', flag: 'dead-letter-max-length', description: 'dead letters kept (the oldest go first)', default: DEFAULT_QUEUE_CAPS.deadLetterMaxLength, schema: wholeNumber(1, 10_000_000) }),
  deadLetterMaxBytes: setting({ env: 'WARREN_DEAD_LETTER_MAX_BYTES', flag: 'dead-letter-max-bytes', description: 'body bytes of dead letters kept (the oldest go first)', default: DEFAULT_QUEUE_CAPS.deadLetterMaxBytes, schema: wholeNumber(1024, 16 * 1024 * MiB) }),
  deadLetterBodyBytes: setting({ env: 'WARREN_DEAD_LETTER_BODY_BYTES', flag: 'dead-letter-body-bytes', description: 'bytes of a refused body its dead-letter copy keeps (then a marker with the original size)', default: DEFAULT_DEAD_LETTER_BODY_BYTES, schema: wholeNumber(64, 1024 * 1024) }),
  topologyCheckMs: setting({ env: 'WARREN_TOPOLOGY_CHECK_MS', flag: 'topology-check-ms', description: 'milliseconds between checks that the coordinator\'s queues, exchanges and bindings still exist', default: DEFAULT_TOPOLOGY_CHECK_MS, schema: wholeNumber(100, 600_000) }),
};

export type QueueCapSettings = SettingsOf<typeof QUEUE_CAP_SETTINGS>;

/** The caps as the coordinator takes them; client queues keep their defaults. */
export function queueCaps(settings: QueueCapSettings): QueueCaps {
  return {
    ...DEFAULT_QUEUE_CAPS,
    inputMaxLength: settings.inputMaxLength,
    inputMaxBytes: settings.inputMaxBytes,
    deadLetterMaxLength: settings.deadLetterMaxLength,
    deadLetterMaxBytes: settings.deadLetterMaxBytes,
  };
}
