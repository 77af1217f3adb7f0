import { OutcomePublisher } from '../../server/output/outcome-publisher.js';
import type { ChatLog, LogEntry } from '../../server/log/chat-log.js';
import { emptyOutcome, type Outcome } from '../../server/outcome.js';
import { topologyFor } from '../../shared/index.js';

function messageLine(id: string, seq: number): LogEntry {
  return { kind: 'MESSAGE', serverTs: '2026-01-01T00:00:00.000Z', clientTs: '2026-01-01T00:00:00.000Z', room: 'general', seq, num: seq, id, from: 'ana', text: `line ${seq}` };
}

function withLines(...lines: LogEntry[]): Outcome {
  const outcome = emptyOutcome();
  outcome.log.push(...lines);
  return outcome;
}

describe("a turn's log lines", () => {
  it('writes one MESSAGE line for two copies of one input in the same turn (sent again after a reconnect)', () => {
    const written: LogEntry[] = [];
    const chatLog = { appendMany: (lines: LogEntry[]) => written.push(...lines) } as unknown as ChatLog;
    const publisher = new OutcomePublisher({ topology: topologyFor('turn-log'), chatLog, channel: () => undefined });
    const join: LogEntry = { kind: 'JOIN', serverTs: '2026-01-01T00:00:00.000Z', name: 'ana' } as LogEntry;
    publisher.log([withLines(messageLine('m-1', 1)), withLines(join), withLines(messageLine('m-1', 1)), withLines(messageLine('m-2', 2))]);
    expect(written.map((entry) => (entry.kind === 'MESSAGE' ? entry.id : entry.kind))).toEqual(['m-1', 'JOIN', 'm-2']);
  });
});
